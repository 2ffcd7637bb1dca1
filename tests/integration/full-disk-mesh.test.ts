/**
 * Two trackers linked over the built-in mesh; one's disk (a real 2 MiB
 * tmpfs) fills up while the other takes writes. The full one refuses its own
 * writes, and takes in nothing it cannot save: its version vector never
 * counts an op that is not on its disk, so once space returns catch-up
 * brings what it missed and both end with the same digest and every
 * acknowledged write.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { TrackerClient } from '../../client/tracker.ts';
import { connectClient, eventually, spawnTracker, tempDir, userClient, type ChildTracker } from '../helpers/tracker.ts';
import { freePort } from '../helpers/proxy.ts';
import { smallDisk } from '../helpers/tmpfs.ts';
import { startNats } from '../helpers/nats.ts';
import { opsInDataDir } from '../helpers/datadir.ts';

interface Metrics {
  digest: string;
  versionVector: Record<string, number>;
}
const metrics = async (tracker: ChildTracker) => (await (await fetch(`${tracker.httpUrl}/metrics`)).json()) as Metrics;
const groupsOf = async (client: TrackerClient) => (await client.request('list_groups', {})).groups.map((g) => g.groupId).sort();

/** What a version vector claims is what the disk holds: every seq up to it, per origin. */
async function assertCountedIsOnDisk(tracker: ChildTracker, dataDir: string): Promise<void> {
  const { versionVector } = await metrics(tracker);
  const held = new Set((await opsInDataDir(dataDir)).map((op) => `${op.origin}:${op.seq}`));
  for (const [origin, last] of Object.entries(versionVector)) {
    for (let seq = 1; seq <= last; seq++) assert.ok(held.has(`${origin}:${seq}`), `${origin}:${seq} is counted but not on disk`);
  }
}

async function converged(a: ChildTracker, b: ChildTracker): Promise<Metrics> {
  return eventually(async () => {
    const [ma, mb] = await Promise.all([metrics(a), metrics(b)]);
    assert.deepEqual(mb.versionVector, ma.versionVector);
    assert.equal(mb.digest, ma.digest);
    return ma;
  }, 30_000, 100);
}

async function fullDiskInAMesh(t: TestContext, kind: 'links' | 'nats'): Promise<void> {
  const disk = await smallDisk(t);
  const [p0, p1] = [await freePort(), await freePort()];
  const dirs = [await tempDir(t), join(disk.root, 'data')];
  const natsUrl = kind === 'nats' ? (await startNats(t)).url : undefined;
  const argsOf = (i: number) => {
    const port = [p0, p1][i]!;
    const args = ['--port', String(port), '--data-dir', dirs[i]!, '--tracker-id', `t${i}`, '--public-url', `ws://127.0.0.1:${port}/ws`, '--quota', 'groups-per-user=1000'];
    if (natsUrl) args.push('--nats', natsUrl);
    else args.push('--secret', 'test-mesh-secret');
    if (i === 0 && !natsUrl) args.push('--peer', `ws://127.0.0.1:${p1}`);
    return args;
  };
  const t0 = await spawnTracker(t, argsOf(0));
  let t1 = await spawnTracker(t, argsOf(1));
  const alice = await userClient(t, t0.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'before' });
  const bob = await userClient(t, t1.wsUrl, 'bob');
  await eventually(async () => assert.deepEqual(await groupsOf(bob), ['before']), 15_000, 100);
  const acknowledged = ['before'];

  await disk.fill();
  // Use up what the log's last page can still take, on the full tracker itself.
  for (let i = 0; ; i++) {
    assert.ok(i < 100, 'the disk never filled up');
    try {
      await bob.request('create_group', { groupId: `slack${i}` });
      acknowledged.push(`slack${i}`);
    } catch (err) {
      assert.equal((err as MeshdropError).code, ErrorCode.Unavailable);
      break;
    }
  }

  // The other tracker keeps taking writes; the full one refuses its own.
  for (let i = 0; i < 20; i++) {
    await alice.request('create_group', { groupId: `while-full-${i}` });
    acknowledged.push(`while-full-${i}`);
  }
  await assert.rejects(bob.request('create_group', { groupId: 'refused' }), (e: MeshdropError) => e.code === ErrorCode.Unavailable);
  // Give the links time to try (they reconnect in at most 2 s): nothing unsaved is counted meanwhile.
  await eventually(async () => {
    await assertCountedIsOnDisk(t1, dirs[1]!);
    const [m0, m1] = [await metrics(t0), await metrics(t1)];
    assert.ok((m1.versionVector.t0 ?? 0) < m0.versionVector.t0!, 'the full tracker cannot have saved what came while it was full');
  }, 10_000, 200);
  await assertCountedIsOnDisk(t1, dirs[1]!);

  await disk.free();
  await converged(t0, t1);
  await assertCountedIsOnDisk(t1, dirs[1]!);
  assert.deepEqual(await groupsOf(alice), [...acknowledged].sort());
  assert.deepEqual(await groupsOf(bob), [...acknowledged].sort());
  // Writes work again on the tracker that was full, and reach the other.
  await bob.request('create_group', { groupId: 'after' });
  acknowledged.push('after');
  await converged(t0, t1);

  // And survive kill -9 of that tracker.
  t1.process.kill('SIGKILL');
  await t1.exited;
  t1 = await spawnTracker(t, argsOf(1));
  await converged(t0, t1);
  const probe = await connectClient(t, t1.wsUrl);
  await probe.login('bob', 'password1');
  assert.deepEqual(await groupsOf(probe), [...acknowledged].sort());
}

test('links: one tracker\'s disk fills while the other takes writes; once space returns both converge with every acknowledged write', (t) =>
  fullDiskInAMesh(t, 'links'));

// Over NATS the full tracker refuses and counts nothing unsaved (the same core); a batch it could not
// store is not acked, and once space returns it is read from the stream again (mesh/nats.ts).
test('nats: one tracker\'s disk fills while the other takes writes; once space returns both converge with every acknowledged write', (t) =>
  fullDiskInAMesh(t, 'nats'));
