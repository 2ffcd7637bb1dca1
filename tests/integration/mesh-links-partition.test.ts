/**
 * A partition over the built-in links: tracker t0 reaches t1 and t2 only
 * through TCP proxies, which are cut. Both sides take conflicting names; on
 * healing every tracker holds the same state (one digest), every acknowledged
 * op, and exactly one winner per name: the earlier sign-up. The loser's
 * session ends with an event saying why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { connectClient, eventually, recordEvents, spawnTracker, tempDir, userClient, type ChildTracker } from '../helpers/tracker.ts';
import { freePort, startProxy } from '../helpers/proxy.ts';
import { persistedOps } from './mesh-acceptance.ts';

test('links: a partition with conflicting names heals to one state and one winner per name', async (t) => {
  const [p0, p1, p2] = [await freePort(), await freePort(), await freePort()];
  const toT1 = await startProxy(t, p1);
  const toT2 = await startProxy(t, p2);
  const common = ['--secret', 'partition-secret'];
  const dirs = [await tempDir(t), await tempDir(t), await tempDir(t)];
  const url = (p: number) => `ws://127.0.0.1:${p}/ws`;
  const trackers: ChildTracker[] = await Promise.all([
    spawnTracker(t, ['--port', String(p0), '--data-dir', dirs[0]!, '--tracker-id', 't0', '--public-url', url(p0), ...common,
      '--peer', `ws://127.0.0.1:${toT1.port}`, '--peer', `ws://127.0.0.1:${toT2.port}`]),
    spawnTracker(t, ['--port', String(p1), '--data-dir', dirs[1]!, '--tracker-id', 't1', '--public-url', url(p1), ...common,
      '--peer', `ws://127.0.0.1:${p2}`]),
    spawnTracker(t, ['--port', String(p2), '--data-dir', dirs[2]!, '--tracker-id', 't2', '--public-url', url(p2), ...common]),
  ]);
  const metrics = async (i: number) =>
    (await (await fetch(`${trackers[i]!.httpUrl}/metrics`)).json()) as { digest: string; versionVector: Record<string, number> };
  const converged = () =>
    eventually(async () => {
      const all = await Promise.all([0, 1, 2].map(metrics));
      for (const m of all) {
        assert.deepEqual(m.versionVector, all[0]!.versionVector);
        assert.equal(m.digest, all[0]!.digest);
      }
      return all[0]!;
    }, 20_000, 100);

  const alice = await userClient(t, url(p1), 'alice');
  await converged();

  toT1.cut();
  toT2.cut();
  // Right side (t1, t2) first, then left (t0): the right's sign-up is earlier.
  const right = await connectClient(t, url(p1));
  await right.request('create_user', { userId: 'dora', password: 'right-side' });
  await alice.request('create_group', { groupId: 'party' });
  await alice.request('create_group', { groupId: 'right-only' });
  await new Promise((r) => setTimeout(r, 20));
  const left = await connectClient(t, url(p0));
  await left.request('create_user', { userId: 'dora', password: 'left-side' });
  await left.login('dora', 'left-side');
  const leftEvents = recordEvents(left);
  await left.request('create_group', { groupId: 'party' });
  await left.request('create_group', { groupId: 'left-only' });
  // Cut off, the sides disagree.
  assert.notEqual((await metrics(0)).digest, (await metrics(1)).digest);
  const leftVv = (await metrics(0)).versionVector;
  const rightVv = (await metrics(1)).versionVector;

  toT1.heal();
  toT2.heal();
  const healed = await converged();
  // Every acknowledged op of each side is everywhere.
  assert.equal(healed.versionVector.t0, leftVv.t0);
  assert.equal(healed.versionVector.t1, rightVv.t1);

  // One winner per name: the earlier sign-up and the earlier group.
  const probe = await connectClient(t, url(p0));
  assert.equal((await probe.login('dora', 'right-side')).userId, 'dora');
  await assert.rejects(probe.request('login', { userId: 'dora', password: 'left-side' }), (e: MeshdropError) => e.code === ErrorCode.BadCredentials);
  const groups = (await alice.request('list_groups', {})).groups;
  assert.deepEqual(groups.filter((g) => g.groupId === 'party').map((g) => g.owner), ['alice']);
  assert.ok(groups.some((g) => g.groupId === 'right-only'), 'right-only is there');
  // The loser's group was made under an account that lost its name: the op is kept but inert.
  assert.ok(!groups.some((g) => g.groupId === 'left-only'), 'left-only must be inert');
  const ops = await persistedOps(dirs[2]!);
  assert.equal(ops.filter((op) => op.kind === 'group_created' && op.groupId === 'left-only').length, 1, 'the op itself was replicated');

  // The left-side dora was told why her session ended.
  await eventually(() => {
    const revoked = leftEvents.find((e) => e.event === 'session_revoked');
    assert.ok(revoked && revoked.event === 'session_revoked' && /taken by an earlier sign-up/.test(revoked.reason), JSON.stringify(leftEvents));
  }, 10_000);
  // And every tracker persisted each op once.
  for (const dir of dirs) {
    const ids = (await persistedOps(dir)).map((op) => `${op.origin}:${op.seq}`);
    assert.equal(new Set(ids).size, ids.length, 'an op was persisted twice');
  }
});
