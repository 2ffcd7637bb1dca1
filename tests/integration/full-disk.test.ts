/**
 * A tracker whose disk fills up (a real 2 MiB tmpfs as its data dir, a
 * filler file to fill it): every write is refused with `unavailable`, nothing
 * unacknowledged is seen by anyone, a retry with the same id is not answered
 * ok, the log stays byte-identical; once space returns writes work again, and
 * a restart (clean, or after kill -9) has every acknowledged op.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { DEFAULT_QUOTAS } from '../../tracker-server/quotas.ts';
import { STORAGE_RETRY_MS } from '../../tracker-server/store/oplog.ts';
import { eventually, spawnTracker, startTestTracker, userClient, type ChildTracker } from '../helpers/tracker.ts';
import { helloSocket, type RawSocket } from '../helpers/raw.ts';
import { smallDisk } from '../helpers/tmpfs.ts';

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'latin1');
  return out;
}

let signIns = 0;
/** A raw socket logged in as `userId` (created if need be). */
async function signedIn(t: TestContext, tracker: ChildTracker, userId: string): Promise<RawSocket> {
  const s = await helloSocket(t, tracker.wsUrl);
  const n = ++signIns;
  s.send({ id: `u${n}`, type: 'create_user', userId, password: 'password1' });
  await s.next(`u${n}`);
  s.send({ id: `l${n}`, type: 'login', userId, password: 'password1' });
  const reply = await s.next(`l${n}`);
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return s;
}

async function groupsSeenBy(s: RawSocket, id: string): Promise<string[]> {
  s.send({ id, type: 'list_groups' });
  const reply = (await s.next(id)) as { ok: boolean; groups: { groupId: string }[] };
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return reply.groups.map((g) => g.groupId).sort();
}

const waitOutRetry = () => new Promise((r) => setTimeout(r, STORAGE_RETRY_MS + 50));

test('a full disk refuses writes clearly, shows and keeps nothing unsaved, and recovers when space returns, across restarts and kill -9', async (t) => {
  const disk = await smallDisk(t);
  const dataDir = join(disk.root, 'data');
  // The slack loop below may make more groups than the default groups-per-user quota.
  const args = ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'full', '--quota', 'groups-per-user=1000'];
  let tracker = await spawnTracker(t, args);
  let alice = await signedIn(t, tracker, 'alice');
  let bob = await signedIn(t, tracker, 'bob');
  alice.send({ id: 'g-before', type: 'create_group', groupId: 'before' });
  assert.equal((await alice.next('g-before')).ok, true);
  const acknowledged = ['before'];

  await disk.fill();
  // The log's last page may have room for a few more lines: writes go on until it is used up.
  for (let i = 0; ; i++) {
    assert.ok(i < 100, 'the disk never filled up');
    alice.send({ id: `slack${i}`, type: 'create_group', groupId: `slack${i}` });
    const reply = (await alice.next(`slack${i}`)) as { ok: boolean; error?: { code: string } };
    if (!reply.ok) {
      assert.equal(reply.error?.code, ErrorCode.Unavailable, JSON.stringify(reply));
      break;
    }
    acknowledged.push(`slack${i}`);
  }
  const before = await filesOf(dataDir);
  await waitOutRetry();
  // A burst at once (the first tries the disk, the rest are refused while it does), then one by one.
  for (let i = 0; i < 5; i++) alice.send({ id: `w${i}`, type: 'create_group', groupId: `full${i}` });
  // Bob asks while the first write is on its way to disk: he must not see it.
  const seenMeanwhile = groupsSeenBy(bob, 'b0');
  for (let i = 0; i < 5; i++) {
    const reply = (await alice.next(`w${i}`)) as { ok: boolean; error?: { code: string } };
    assert.equal(reply.ok, false, `write ${i} on a full disk was acknowledged`);
    assert.equal(reply.error?.code, ErrorCode.Unavailable, JSON.stringify(reply));
  }
  assert.deepEqual(await seenMeanwhile, [...acknowledged].sort());
  bob.send({ id: 'b-join', type: 'join_group', groupId: 'before' });
  assert.equal(((await bob.next('b-join')) as { error?: { code: string } }).error?.code, ErrorCode.Unavailable);
  assert.deepEqual(await groupsSeenBy(bob, 'b1'), [...acknowledged].sort(), 'no refused write is visible to another user');

  // A retry with the same id, after the disk has been tried again: still not ok.
  await waitOutRetry();
  alice.send({ id: 'w0', type: 'create_group', groupId: 'full0' });
  const retry = (await alice.next('w0')) as { ok: boolean; error?: { code: string } };
  assert.equal(retry.ok, false, 'a retry of a refused write is not answered ok');
  assert.equal(retry.error?.code, ErrorCode.Unavailable);
  assert.deepEqual(await groupsSeenBy(bob, 'b2'), [...acknowledged].sort());
  assert.deepEqual(await filesOf(dataDir), before, 'the data dir is byte-identical to before the disk filled');
  const metrics = async () => (await (await fetch(`${tracker.httpUrl}/metrics`)).json()) as { storageFailing: boolean };
  assert.equal((await metrics()).storageFailing, true, '/metrics tells the operator');

  // Space is back: the next write works (the same request id too: it was never applied).
  await disk.free();
  await eventually(async () => {
    alice.send({ id: 'w0', type: 'create_group', groupId: 'full0' });
    assert.equal((await alice.next('w0')).ok, true);
  }, 10_000, STORAGE_RETRY_MS);
  acknowledged.push('full0');
  alice.send({ id: 'w-after', type: 'create_group', groupId: 'after' });
  assert.equal((await alice.next('w-after')).ok, true);
  acknowledged.push('after');
  assert.equal((await metrics()).storageFailing, false);
  bob.send({ id: 'b-join2', type: 'join_group', groupId: 'before' });
  assert.equal((await bob.next('b-join2')).ok, true);
  assert.deepEqual(await groupsSeenBy(bob, 'b3'), [...acknowledged].sort());

  // A clean restart, then kill -9 and a restart: every acknowledged op is there, no refusal to start.
  tracker.process.kill('SIGTERM');
  await tracker.exited;
  tracker = await spawnTracker(t, args);
  alice = await signedIn(t, tracker, 'alice');
  alice.send({ id: 'w-restarted', type: 'create_group', groupId: 'restarted' });
  assert.equal((await alice.next('w-restarted')).ok, true);
  acknowledged.push('restarted');
  tracker.process.kill('SIGKILL');
  await tracker.exited;
  tracker = await spawnTracker(t, args);
  assert.doesNotMatch(tracker.output(), /refusing|corrupt/);
  bob = await signedIn(t, tracker, 'bob');
  assert.deepEqual(await groupsSeenBy(bob, 'b4'), [...acknowledged].sort());
});

test('a refused write leaves no trace in the replica: same ops, same version vector, and the next op takes the next seq', async (t) => {
  const disk = await smallDisk(t);
  const tracker = await startTestTracker(t, { dataDir: join(disk.root, 'data'), trackerId: 'inproc', quotas: { ...DEFAULT_QUOTAS, groupsPerUser: 1000 } });
  const alice = await userClient(t, tracker.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'before' });
  await disk.fill();
  // Use up the log's last page.
  for (let i = 0; ; i++) {
    assert.ok(i < 100, 'the disk never filled up');
    const ok = await alice.request('create_group', { groupId: `slack${i}` }).then(() => true, (e: MeshdropError) => (assert.equal(e.code, ErrorCode.Unavailable), false));
    if (!ok) break;
  }
  const { core } = tracker;
  const size = core.replica.size;
  const vv = core.replica.versionVector();
  const digest = stateDigest(core.state);
  await waitOutRetry();
  // A burst: the first tries the disk and is taken back with every op queued behind it.
  const burst = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => alice.request('create_group', { groupId: `burst${i}` })));
  assert.deepEqual(burst.map((r) => r.status), Array(5).fill('rejected'));
  assert.equal(core.replica.size, size);
  assert.deepEqual(core.replica.versionVector(), vv);
  assert.deepEqual(core.durableVersionVector(), vv);
  assert.equal(stateDigest(core.state), digest);
  await disk.free();
  await eventually(() => alice.request('create_group', { groupId: 'after' }), 10_000, STORAGE_RETRY_MS);
  assert.deepEqual(core.replica.versionVector(), { inproc: vv.inproc! + 1 }, 'no seq was skipped or reused');
});
