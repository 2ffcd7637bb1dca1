/**
 * One acceptance suite for every mesh bus: three real tracker processes
 * (spawned, killable with SIGKILL), real WebSockets, and for NATS a real
 * nats-server. mesh-links.test.ts and mesh-nats.test.ts run it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { TrackerClient } from '../../client/tracker.ts';
import { opsInDataDir } from '../helpers/datadir.ts';
import { connectClient, eventually, recordEvents, spawnTracker, tempDir, userClient, type ChildTracker } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';
import { freePort } from '../helpers/proxy.ts';
import { startNats, startNatsCluster, type NatsNode } from '../helpers/nats.ts';

export type BusKind = 'links' | 'nats';

interface Node {
  id: string;
  port: number;
  wsUrl: string;
  httpUrl: string;
  dataDir: string;
  args: string[];
  child: ChildTracker | undefined;
}

export interface MeshUnderTest {
  nodes: Node[];
  /** The NATS servers (one, or a 3-node cluster); empty over links. */
  nats: NatsNode[];
  kill(i: number): Promise<void>;
  start(i: number): Promise<void>;
  metrics(i: number): Promise<{ digest: string; versionVector: Record<string, number>; ops: number }>;
  /** Every tracker knows every other (its hello lists them all): the mesh has formed. */
  linked(): Promise<void>;
  /** Every running tracker has the same version vector and digest. */
  converged(timeoutMs?: number): Promise<{ digest: string; versionVector: Record<string, number> }>;
}

export async function startMesh(t: TestContext, kind: BusKind, n = 3, options: { natsCluster?: boolean } = {}): Promise<MeshUnderTest> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const nats = kind !== 'nats' ? [] : options.natsCluster ? await startNatsCluster(t) : [await startNats(t)];
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) {
    const id = `t${i}`;
    const dataDir = await tempDir(t);
    const wsUrl = `ws://127.0.0.1:${ports[i]}/ws`;
    const args = ['--port', String(ports[i]), '--data-dir', dataDir, '--tracker-id', id, '--public-url', wsUrl];
    if (kind === 'links') {
      args.push('--secret', 'test-mesh-secret');
      // Each dials the ones after it: one link per pair.
      for (let j = i + 1; j < n; j++) args.push('--peer', `ws://127.0.0.1:${ports[j]}`);
    } else {
      // Each tracker prefers a different NATS node (a cluster's are all listed).
      for (let j = 0; j < nats.length; j++) args.push('--nats', nats[(i + j) % nats.length]!.url);
    }
    nodes.push({ id, port: ports[i]!, wsUrl, httpUrl: `http://127.0.0.1:${ports[i]}`, dataDir, args, child: undefined });
  }
  const mesh: MeshUnderTest = {
    nodes,
    nats,
    async start(i) {
      nodes[i]!.child = await spawnTracker(t, nodes[i]!.args);
    },
    async kill(i) {
      const child = nodes[i]!.child!;
      child.process.kill('SIGKILL');
      await child.exited;
      nodes[i]!.child = undefined;
    },
    async linked() {
      for (const node of nodes) {
        await eventually(async () => {
          const probe = await connectClient(t, node.wsUrl);
          probe.close();
          assert.equal(probe.knownTrackers.length, nodes.length);
        }, 20_000, 200);
      }
    },
    async metrics(i) {
      const res = await fetch(`${nodes[i]!.httpUrl}/metrics`);
      return (await res.json()) as never;
    },
    async converged(timeoutMs = 20_000) {
      return eventually(async () => {
        const live = nodes.map((node, i) => (node.child ? i : -1)).filter((i) => i >= 0);
        const all = await Promise.all(live.map((i) => mesh.metrics(i)));
        for (const m of all.slice(1)) {
          assert.deepEqual(m.versionVector, all[0]!.versionVector);
          assert.equal(m.digest, all[0]!.digest);
        }
        return { digest: all[0]!.digest, versionVector: all[0]!.versionVector };
      }, timeoutMs, 100);
    },
  };
  await Promise.all(nodes.map((_, i) => mesh.start(i)));
  await mesh.linked();
  return mesh;
}

/**
 * Every op in a tracker's data dir, as persisted (for "never persisted twice" and "applied once"),
 * in either snapshot format: the old reader here took a JSON-lines snapshot for none at all.
 */
export const persistedOps = opsInDataDir;

/**
 * Is every op of every origin that any tracker counts present, without a
 * hole, in every tracker's data dir? With identical version vectors this says
 * every acknowledged write (durable on its origin before the reply) is on
 * every disk.
 */
export async function assertEveryOpEverywhere(mesh: MeshUnderTest, vv: Record<string, number>): Promise<void> {
  for (const node of mesh.nodes) {
    const held = new Map<string, Set<number>>();
    for (const op of await persistedOps(node.dataDir)) {
      let seqs = held.get(op.origin);
      if (!seqs) held.set(op.origin, (seqs = new Set()));
      seqs.add(op.seq);
    }
    for (const [origin, last] of Object.entries(vv)) {
      const seqs = held.get(origin) ?? new Set();
      const missing: number[] = [];
      for (let seq = 1; seq <= last; seq++) if (!seqs.has(seq)) missing.push(seq);
      assert.deepEqual(missing.slice(0, 10), [], `${node.id} lacks ${missing.length} of ${origin}'s ops`);
    }
  }
}

/**
 * Writers that keep writing until stopped: each its own user on `url`,
 * alternately asking to join `groupId` and leaving it (two ops a round, and
 * nothing that a quota would cap). Counts acknowledged writes per origin
 * tracker; any error other than a lost connection is kept for the test to check.
 */
export async function writeStorm(t: TestContext, url: string, owner: TrackerClient, groupId: string, users: string[]) {
  await owner.request('create_group', { groupId });
  const clients = await Promise.all(users.map((u) => userClient(t, url, u)));
  let stopped = false;
  let acked = 0;
  const errors: string[] = [];
  const write = async (client: TrackerClient, type: 'join_group' | 'leave_group') => {
    try {
      await client.request(type, { groupId });
      acked++;
      return true;
    } catch (err) {
      const code = (err as MeshdropError).code;
      // A retried request whose first reply was lost can find the state already moved.
      if (code !== ErrorCode.Disconnected && code !== ErrorCode.AlreadyRequested && code !== ErrorCode.NotMember) errors.push(`${type}: ${code} ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
      return false;
    }
  };
  t.after(() => {
    stopped = true;
  });
  const loops = clients.map(async (client) => {
    while (!stopped) {
      await write(client, 'join_group');
      if (!stopped) await write(client, 'leave_group');
    }
  });
  return {
    errors,
    get acked() {
      return acked;
    },
    async stop(): Promise<number> {
      stopped = true;
      await Promise.all(loops);
      return acked;
    },
  };
}

/** Waits until `fn` is true, polling. */
async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await eventually(async () => assert.ok(await fn(), what), timeoutMs, 20);
}

const groupsOf = async (client: TrackerClient) => (await client.request('list_groups', {})).groups.map((g) => g.groupId).sort();

export function meshAcceptanceSuite(kind: BusKind): void {
  test(`${kind}: writes on each tracker show up on the others, events cross trackers`, async (t) => {
    const mesh = await startMesh(t, kind);
    const users = await Promise.all(mesh.nodes.map((node, i) => userClient(t, node.wsUrl, `user${i}`)));
    for (let i = 0; i < users.length; i++) await users[i]!.request('create_group', { groupId: `group${i}` });
    // Every tracker sees every group.
    for (const client of users) {
      await eventually(async () => assert.deepEqual(await groupsOf(client), ['group0', 'group1', 'group2']), 15_000, 100);
    }
    // A join request made on tracker 1 reaches the owner on tracker 0, and the answer comes back.
    const ownerEvents = recordEvents(users[0]!);
    const joinerEvents = recordEvents(users[1]!);
    await users[1]!.request('join_group', { groupId: 'group0' });
    await eventually(() => assert.ok(ownerEvents.some((e) => e.event === 'join_requested' && e.userId === 'user1'), JSON.stringify(ownerEvents)), 15_000);
    await users[0]!.request('accept_request', { groupId: 'group0', userId: 'user1' });
    await eventually(() => assert.ok(joinerEvents.some((e) => e.event === 'request_answered' && e.accepted), JSON.stringify(joinerEvents)), 15_000);
    // A user made on tracker 2 can log in on tracker 0.
    const elsewhere = await connectClient(t, mesh.nodes[0]!.wsUrl);
    assert.equal((await elsewhere.login('user2', 'password1')).userId, 'user2');
    const { digest } = await mesh.converged();
    assert.match(digest, /^[0-9a-f]{64}$/);
    // Each tracker persisted each op exactly once.
    for (const node of mesh.nodes) {
      const ids = (await persistedOps(node.dataDir)).map((op) => `${op.origin}:${op.seq}`);
      assert.equal(new Set(ids).size, ids.length, `${node.id} persisted an op twice`);
    }
  });

  test(`${kind}: the hello reply lists every tracker's URL`, async (t) => {
    const mesh = await startMesh(t, kind);
    await eventually(async () => {
      const client = await connectClient(t, mesh.nodes[0]!.wsUrl);
      try {
        assert.deepEqual([...client.knownTrackers].sort(), mesh.nodes.map((n) => n.wsUrl).sort());
      } finally {
        client.close();
      }
    }, 15_000, 200);
  });

  test(`${kind}: a tracker killed with -9 catches up when it returns`, async (t) => {
    const mesh = await startMesh(t, kind);
    const a = await userClient(t, mesh.nodes[0]!.wsUrl, 'alice');
    await a.request('create_group', { groupId: 'before' });
    await mesh.converged();
    await mesh.kill(2);
    const b = await userClient(t, mesh.nodes[1]!.wsUrl, 'bob');
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const client = i % 2 ? a : b;
      await client.request('create_group', { groupId: `while-down-${i}` });
      acked.push(`while-down-${i}`);
    }
    await mesh.start(2);
    await mesh.converged();
    const c = await userClient(t, mesh.nodes[2]!.wsUrl, 'carol');
    const groups = await groupsOf(c);
    for (const g of [...acked, 'before']) assert.ok(groups.includes(g), `${g} missing on the restarted tracker`);
  });

  test(`${kind}: a tracker killed with -9 while it takes in a stream of ops ends, restarted, with every acknowledged op`, async (t) => {
    const mesh = await startMesh(t, kind);
    const owner = await userClient(t, mesh.nodes[0]!.wsUrl, 'owner');
    const storm = await writeStorm(t, mesh.nodes[0]!.wsUrl, owner, 'storm', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    const t0On2 = async () => (await mesh.metrics(2)).versionVector.t0 ?? 0;
    // Tracker 2 is taking in tracker 0's ops as they come: kill it in the middle, twice.
    for (let round = 0; round < 2; round++) {
      const before = await t0On2();
      await until(async () => (await t0On2()) > before + 300, 20_000, `tracker 2 takes in ops (round ${round})`);
      await mesh.kill(2);
      const acked = storm.acked;
      await until(() => storm.acked > acked + 300, 20_000, 'writes go on while tracker 2 is down');
      await mesh.start(2);
    }
    await until(async () => (await t0On2()) > 0, 20_000, 'tracker 2 takes in ops again');
    const acked = storm.acked;
    await until(() => storm.acked > acked + 300, 20_000, 'writes go on after the restart');
    await storm.stop();
    assert.deepEqual(storm.errors, []);
    const { versionVector } = await mesh.converged(30_000);
    // Counted over every origin: a storm client whose liveness ping tracker 0 was too busy to answer
    // moves to tracker 1 and goes on writing there (its ops are then t1's: 452-1371 of them seen).
    const ops = Object.values(versionVector).reduce((n, seq) => n + seq, 0);
    assert.ok(ops >= storm.acked, `every acknowledged write is counted: ${ops} ops (${JSON.stringify(versionVector)}), ${storm.acked} acknowledged`);
    await assertEveryOpEverywhere(mesh, versionVector);
  });

  test(`${kind}: a client whose tracker is killed resumes on another, no request applied twice`, async (t) => {
    const mesh = await startMesh(t, kind);
    // The client knows only tracker 0; the hello reply tells it the others.
    const client = await userClient(t, mesh.nodes[0]!.wsUrl, 'dave');
    await eventually(() => assert.equal(client.knownTrackers.length, 3), 15_000, 100);
    const { fileId, meta } = randomFile('dave-files');
    await client.request('create_group', { groupId: 'dave-files' });
    await client.request('upload_file', { fileId, meta });
    await client.announce(fileId, Bitfield.full(meta.pieceHashes.length));
    const { token: invite } = await client.request('create_invite', { groupId: 'dave-files' });
    const frank = await userClient(t, mesh.nodes[2]!.wsUrl, 'frank');
    await eventually(() => frank.request('join_group', { groupId: 'dave-files', invite }), 15_000, 100);
    await mesh.converged();

    const ready = new Promise<number>((resolve) => {
      const off = client.on('ready', () => {
        off();
        resolve(Date.now());
      });
    });
    // Requests in flight when the tracker dies.
    const inFlight = Array.from({ length: 10 }, (_, i) => client.request('create_group', { groupId: `inflight-${i}` }));
    const killedAt = Date.now();
    await mesh.kill(0);
    const resumedAt = await ready;
    assert.ok(resumedAt - killedAt < 5_000, `resumed after ${resumedAt - killedAt} ms`);
    assert.notEqual(client.url, mesh.nodes[0]!.wsUrl);
    assert.equal(client.userId, 'dave', 'the session survived the failover');
    const results = await Promise.allSettled(inFlight);
    for (const r of results) {
      // Applied once and answered, or a clear "lost with the connection" error; never applied twice (group_exists).
      if (r.status === 'rejected') assert.equal((r.reason as MeshdropError).code, ErrorCode.Disconnected, String(r.reason));
    }
    // The session is intact on the new tracker, and presence was re-announced there:
    // a member on another tracker finds dave under his new peer id.
    assert.ok((await groupsOf(client)).includes('dave-files'), 'dave still sees his group');
    await eventually(async () => {
      const { holders } = await frank.request('get_holders', { fileId });
      assert.deepEqual(holders.map((h) => [h.userId, h.peerId]), [['dave', client.peerId]]);
    }, 15_000, 100);

    await mesh.start(0);
    await mesh.converged();
    // Every acknowledged group exists once, dave's, on every tracker.
    const { digest } = await mesh.converged();
    const groups = (await client.request('list_groups', {})).groups;
    for (let i = 0; i < 10; i++) {
      const found = groups.filter((g) => g.groupId === `inflight-${i}`);
      if (results[i]!.status === 'fulfilled') assert.deepEqual(found.map((g) => [g.owner, g.status]), [['dave', 'owner']]);
    }
    // A retry carries the request's id, so a tracker that has the first attempt's
    // op answers from it and makes no second op. The one exception, inherent to
    // replicating after fsync: the first attempt was made durable on the killed
    // tracker in the instant before it could publish it; the retry then makes a
    // second op elsewhere, and the merge keeps exactly one of them in force
    // (first writer wins the name): the same group, the same owner, one state.
    const ops = await persistedOps(mesh.nodes[1]!.dataDir);
    for (let i = 0; i < 10; i++) {
      const creations = ops.filter((op) => op.kind === 'group_created' && op.groupId === `inflight-${i}`);
      assert.ok(creations.length <= 2, `inflight-${i} was applied ${creations.length} times`);
      if (creations.length === 2) {
        assert.deepEqual(new Set(creations.map((op) => op.rid)).size, 1, 'two ops for one group, from one request');
        assert.ok(creations.some((op) => op.origin === 't0') && creations.some((op) => op.origin !== 't0'), 'only the killed tracker\'s unpublished op can be doubled');
      }
    }
    assert.match(digest, /^[0-9a-f]{64}$/);
  });

  test(`${kind}: clients on two trackers exchange signals; non-members cannot`, async (t) => {
    const mesh = await startMesh(t, kind);
    const alice = await userClient(t, mesh.nodes[0]!.wsUrl, 'alice');
    const bob = await userClient(t, mesh.nodes[1]!.wsUrl, 'bob');
    const mallory = await userClient(t, mesh.nodes[1]!.wsUrl, 'mallory');
    await alice.request('create_group', { groupId: 'shared' });
    await eventually(() => bob.request('join_group', { groupId: 'shared' }), 15_000, 100);
    await eventually(() => alice.request('accept_request', { groupId: 'shared', userId: 'bob' }), 15_000, 100);
    const { fileId, meta } = randomFile('shared');
    await alice.request('upload_file', { fileId, meta });
    await alice.announce(fileId, Bitfield.full(meta.pieceHashes.length));
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);

    // bob (tracker 1) finds alice (tracker 0) as a holder.
    const holder = await eventually(async () => {
      const { holders } = await bob.request('get_holders', { fileId });
      assert.equal(holders.length, 1);
      return holders[0]!;
    }, 15_000, 100);
    assert.equal(holder.peerId, alice.peerId);
    assert.equal(holder.userId, 'alice');
    // bob announces he wants it; alice, watching the file, hears of him.
    assert.deepEqual((await alice.request('get_holders', { fileId })).holders, []);
    await bob.announce(fileId, new Bitfield(meta.pieceHashes.length));
    await eventually(() => assert.ok(aliceEvents.some((e) => e.event === 'holders_changed' && e.peerId === bob.peerId), JSON.stringify(aliceEvents)), 15_000);

    await bob.request('signal', { fileId, to: alice.peerId!, data: { type: 'offer', sdp: 'v=0 bob' } });
    await eventually(() =>
      assert.ok(aliceEvents.some((e) => e.event === 'signal' && e.from === bob.peerId && e.fromUser === 'bob' && (e.data as { sdp: string }).sdp === 'v=0 bob'), JSON.stringify(aliceEvents)),
    15_000);
    await alice.request('signal', { fileId, to: bob.peerId!, data: { type: 'answer', sdp: 'v=0 alice' } });
    await eventually(() => assert.ok(bobEvents.some((e) => e.event === 'signal' && e.from === alice.peerId && e.fromUser === 'alice'), JSON.stringify(bobEvents)), 15_000);

    // mallory, not a member, is refused on her tracker and alice hears nothing from her.
    await assert.rejects(mallory.request('signal', { fileId, to: alice.peerId!, data: 'hi' }), (e: MeshdropError) => e.code === ErrorCode.NoSuchFile);
    assert.ok(!aliceEvents.some((e) => e.event === 'signal' && e.fromUser === 'mallory'), 'mallory reached alice');

    // alice's tracker dies: bob hears she is gone (her presence was soft state on tracker 0).
    await mesh.kill(0);
    await eventually(async () => {
      const { holders } = await bob.request('get_holders', { fileId });
      assert.ok(!holders.some((h) => h.peerId === holder.peerId), 'alice is still listed');
    }, 15_000, 100);
  });

  if (kind === 'nats') {
    test('nats: NATS nodes killed with -9 during writes on every tracker: every acknowledged write on every tracker', async (t) => {
      const mesh = await startMesh(t, kind, 3, { natsCluster: true });
      const storms: Awaited<ReturnType<typeof writeStorm>>[] = [];
      for (let i = 0; i < 3; i++) {
        const owner = await userClient(t, mesh.nodes[i]!.wsUrl, `owner${i}`);
        storms.push(await writeStorm(t, mesh.nodes[i]!.wsUrl, owner, `storm${i}`, [`w${i}a`, `w${i}b`, `w${i}c`, `w${i}d`]));
      }
      const acked = () => storms.reduce((sum, s) => sum + s.acked, 0);
      // One node at a time (a 3-node cluster keeps its quorum with two), each killed while writes flow, twice round.
      for (const node of [...mesh.nats, ...mesh.nats]) {
        let from = acked();
        await until(() => acked() > from + 200, 20_000, 'writes flow');
        await node.kill();
        from = acked();
        await until(() => acked() > from + 200, 30_000, 'writes flow with a NATS node down');
        await node.restart();
      }
      // Two at once: the cluster loses its quorum (publishes fail, trackers keep writing locally), then gets it back.
      {
        const [a, b] = mesh.nats;
        await a!.kill();
        await b!.kill();
        const from = acked();
        await until(() => acked() > from + 200, 30_000, 'writes go on locally without a NATS quorum');
        await Promise.all([a!.restart(), b!.restart()]);
      }
      const from = acked();
      await until(() => acked() > from + 300, 30_000, 'writes flow after the restarts');
      for (const s of storms) await s.stop();
      assert.deepEqual(storms.flatMap((s) => s.errors), []);
      const { versionVector } = await mesh.converged(30_000);
      // Counted over every origin, as for the single storm above: a storm client whose tracker was too
      // busy to answer its liveness ping moves to another tracker, and its later writes are that one's ops.
      const ops = Object.values(versionVector).reduce((n, seq) => n + seq, 0);
      assert.ok(ops >= acked(), `every acknowledged write is counted: ${ops} ops (${JSON.stringify(versionVector)}), ${acked()} acknowledged`);
      await assertEveryOpEverywhere(mesh, versionVector);
    });
  }
}
