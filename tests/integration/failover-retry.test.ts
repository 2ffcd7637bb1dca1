/**
 * A request applied on one tracker whose reply is lost, and retried (same
 * client, same id) on another tracker that has not seen the op: both apply
 * it. After the partition heals, the two copies must be one effect, with
 * nothing the client did under the retried copy lost, and the client told
 * ok. Two real trackers joined by links through a TCP proxy that is cut;
 * the client reaches tracker A through its own proxy, cut the moment A has
 * applied the request (before the reply can leave).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../protocol/ops.ts';
import { TrackerClient } from '../../client/tracker.ts';
import { liveSession } from '../../tracker-server/state/queries.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { hashToken } from '../../tracker-server/auth.ts';
import type { RunningTracker } from '../../tracker-server/server.ts';
import { eventually, startTestTracker, wsFactory, type Teardown } from '../helpers/tracker.ts';
import { startProxy, type TcpProxy } from '../helpers/proxy.ts';
import { randomFile } from '../helpers/files.ts';
import { rawSocket } from '../helpers/raw.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { requestKey } from '../../tracker-server/request-ledger.ts';

interface Pair {
  a: RunningTracker;
  b: RunningTracker;
  /** The link between a and b. */
  link: TcpProxy;
  client: TrackerClient;
  sessionLost: string[];
  /** Cuts the client off a as soon as a has applied (and made durable) the first local op that matches. */
  loseReplyOn(match: (op: Op) => boolean): Promise<void>;
  converged(): Promise<void>;
}

async function pair(t: Teardown): Promise<Pair> {
  const secret = 'retry-secret';
  const a = await startTestTracker(t, { trackerId: 'ta', secret });
  const link = await startProxy(t, a.port);
  const b = await startTestTracker(t, { trackerId: 'tb', secret, peers: [`ws://127.0.0.1:${link.port}`] });
  const toA = await startProxy(t, a.port);
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${toA.port}/ws`, b.wsUrl], createSocket: wsFactory, requestTimeoutMs: 10_000 });
  t.after(() => client.close());
  const sessionLost: string[] = [];
  client.on('sessionLost', ({ reason }) => sessionLost.push(reason));
  await client.connect();
  assert.equal(client.trackerId, 'ta');
  const converged = () =>
    eventually(() => {
      assert.deepEqual(a.core.replica.versionVector(), b.core.replica.versionVector());
      assert.equal(stateDigest(a.core.state), stateDigest(b.core.state));
    }, 15_000, 50);
  const loseReplyOn = (match: (op: Op) => boolean) =>
    new Promise<void>((resolve) => {
      const off = a.core.onOps((ops, fromMesh) => {
        if (fromMesh || !ops.some(match)) return;
        off();
        toA.cut(); // the reply has not been sent yet: it is lost with the connection
        resolve();
      });
    });
  return { a, b, link, client, sessionLost, loseReplyOn, converged };
}

test('a sign-up applied on A, reply lost, retried on B: one account, and the session made under the retry stands', async (t) => {
  const { a, b, link, client, sessionLost, loseReplyOn, converged } = await pair(t);
  link.cut();
  const lost = loseReplyOn((op) => op.kind === 'user_created');
  const signedUp = await client.request('create_user', { userId: 'rita', password: 'password1' });
  await lost;
  assert.deepEqual(signedUp, { userId: 'rita' }, 'the client is told ok');
  assert.equal(client.trackerId, 'tb', 'the retry went to B');
  assert.ok(a.core.state.users.has('rita') && b.core.state.users.has('rita'), 'applied on both sides of the cut');
  const { token } = await client.login('rita', 'password1');

  link.heal();
  await converged();
  assert.equal(a.core.state.users.size, 1);
  for (const tracker of [a, b]) assert.ok(liveSession(tracker.core.state, hashToken(token)), `the session stands on ${tracker.core.trackerId}`);
  assert.deepEqual(sessionLost, [], 'nobody told the user their own sign-up took their name');
  assert.deepEqual(await client.request('list_groups', {}), { groups: [] });
});

test('a group created on A, reply lost, retried on B: one group, and the upload made under it is visible', async (t) => {
  const { a, b, link, client, sessionLost, loseReplyOn, converged } = await pair(t);
  await client.request('create_user', { userId: 'rita', password: 'password1' });
  await client.login('rita', 'password1');
  await converged();
  link.cut();
  const lost = loseReplyOn((op) => op.kind === 'group_created');
  assert.deepEqual(await client.request('create_group', { groupId: 'g' }), { groupId: 'g' });
  await lost;
  assert.equal(client.trackerId, 'tb');
  assert.ok(a.core.state.groups.has('g') && b.core.state.groups.has('g'), 'applied on both sides of the cut');
  const { fileId, meta } = randomFile('g');
  await client.request('upload_file', { fileId, meta });

  link.heal();
  await converged();
  for (const tracker of [a, b]) {
    const group = tracker.core.state.groups.get('g');
    assert.equal(group?.owner, 'rita');
    assert.ok(group.files.has(fileId), `the upload is in the group on ${tracker.core.trackerId}`);
  }
  assert.equal(a.core.state.groups.size, 1);
  assert.deepEqual((await client.request('list_files', { groupId: 'g' })).files.map((f) => f.fileId), [fileId]);
  assert.deepEqual(sessionLost, []);
});

test('a file shared on A, reply lost, retried on B: one file, visible everywhere', async (t) => {
  const { a, b, link, client, loseReplyOn, converged } = await pair(t);
  await client.request('create_user', { userId: 'rita', password: 'password1' });
  await client.login('rita', 'password1');
  await client.request('create_group', { groupId: 'g' });
  await converged();
  link.cut();
  const { fileId, meta } = randomFile('g');
  const lost = loseReplyOn((op) => op.kind === 'file_shared');
  assert.deepEqual(await client.request('upload_file', { fileId, meta }), { fileId });
  await lost;
  assert.equal(client.trackerId, 'tb');

  link.heal();
  await converged();
  for (const tracker of [a, b]) assert.ok(tracker.core.state.groups.get('g')?.files.has(fileId), `the file is in the group on ${tracker.core.trackerId}`);
  assert.equal(a.core.state.files.size, 1);
  assert.deepEqual((await client.request('list_files', { groupId: 'g' })).files.map((f) => f.fileId), [fileId]);
});

test('a sign-up retried on B while the first attempt\'s op arrives there is answered ok, not "name taken"', async (t) => {
  // Slow hashing on B, so the op from A lands while B's attempt is hashing.
  const b = await startTestTracker(t, { trackerId: 'tb', scrypt: { N: 1 << 15, r: 8, p: 1 } });
  const secret = 'the-clients-instance-secret';
  const socket = await rawSocket(t, b.wsUrl);
  socket.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION, client: secret });
  assert.equal((await socket.next('h')).ok, true);
  const before = b.gateway.stats.requests;
  socket.send({ id: 'signup', type: 'create_user', userId: 'rita', password: 'password1' });
  await eventually(() => assert.equal(b.gateway.stats.requests, before + 1), 5000, 1);
  // The first attempt, applied on A, replicates to B now.
  await b.core.ingest([
    { kind: 'user_created', userId: 'rita', salt: '00', hash: 'scrypt$1024$8$1$00', origin: 'ta', seq: 1, hlc: 1, rid: requestKey(secret, 'signup') },
  ]);
  const reply = await socket.next('signup');
  assert.deepEqual(reply, { id: 'signup', ok: true, userId: 'rita' }, 'it was this client\'s own sign-up');
  assert.equal(b.core.state.users.get('rita')?.key, requestKey(secret, 'signup'));
});
