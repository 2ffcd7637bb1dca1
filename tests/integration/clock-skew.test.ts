/**
 * A remote op stamped far ahead of this tracker's clock (a skewed host, a
 * forged message) is refused at ingest: not applied, not persisted, and the
 * clock stays where it was, so invites keep working. A join whose invite the
 * fold would not honour (expired at the op's own time) says so instead of
 * answering ok.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../protocol/ops.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { hlcToMs } from '../../protocol/ops.ts';
import { eventually, startTestTracker, userClient, type Teardown } from '../helpers/tracker.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Two linked trackers: `b` plays the skewed (or forging) peer and sends raw ops over the real link. */
async function pair(t: Teardown) {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'shared-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  // Linked once an op of each side has crossed.
  const owner = await userClient(t, a.wsUrl, 'olga');
  await eventually(() => assert.ok(b.core.state.users.has('olga'), 'linked a → b'));
  await userClient(t, b.wsUrl, 'bea');
  await eventually(() => assert.ok(a.core.state.users.has('bea'), 'linked b → a'));
  return { a, b, owner };
}

const foreignUser = (seq: number, hlc: number, userId: string): Op =>
  ({ kind: 'user_created', origin: 'tz', seq, hlc, userId, salt: 'abcd', hash: 'h' }) as Op;

test('an op stamped a year ahead is refused and does not move the clock', async (t) => {
  const { a, b, owner } = await pair(t);
  const far = foreignUser(1, (Date.now() + YEAR_MS) * 1000, 'zed');
  b.mesh!.bus.publishOps([far]);
  // Its successor, stamped normally, must wait behind it (per-origin order), not jump the gap.
  b.mesh!.bus.publishOps([foreignUser(2, Date.now() * 1000, 'zoe')]);
  // An ordinary op sent after both has arrived: so have they, if they were to be taken.
  await owner.request('create_group', { groupId: 'g' });
  const probe = { kind: 'user_created', origin: 'tb2', seq: 1, hlc: Date.now() * 1000, userId: 'probe', salt: 'abcd', hash: 'h' } as Op;
  b.mesh!.bus.publishOps([probe]);
  await eventually(() => assert.ok(a.core.state.users.has('probe'), 'the probe arrived'));
  assert.equal(a.core.replica.has(far), false, 'not applied');
  assert.equal(a.core.state.users.has('zed'), false);
  assert.equal(a.core.state.users.has('zoe'), false, 'the next op of that origin waits for the refused one');
  assert.ok(!(a.core.replica.versionVector().tz), 'not counted in the version vector');
  const stamp = a.core.clock.stamp();
  assert.ok(hlcToMs(stamp) < Date.now() + 60_000, 'the clock did not move a year ahead');
  // Invites still work: a fresh one admits.
  const { token } = await owner.request('create_invite', { groupId: 'g' });
  const joiner = await userClient(t, a.wsUrl, 'jo');
  assert.deepEqual(await joiner.request('join_group', { groupId: 'g', invite: token }), { groupId: 'g', status: 'member' });
});

test('a join with an invite that has expired by the tracker\'s clock is refused with invite_expired', async (t) => {
  const { a, b, owner } = await pair(t);
  await owner.request('create_group', { groupId: 'g' });
  const { token } = await owner.request('create_invite', { groupId: 'g', ttlMs: 60_000 });
  // A peer four minutes ahead (within the bound): taken, and the clock follows it.
  const ahead = foreignUser(1, (Date.now() + 4 * 60_000) * 1000, 'zed');
  b.mesh!.bus.publishOps([ahead]);
  await eventually(() => assert.ok(a.core.replica.has(ahead), 'the op four minutes ahead was taken'));
  const joiner = await userClient(t, a.wsUrl, 'jo');
  const before = a.core.replica.size;
  await assert.rejects(joiner.request('join_group', { groupId: 'g', invite: token }), { code: ErrorCode.InviteExpired });
  assert.equal(a.core.replica.size, before, 'a refused join writes nothing');
  const members = (await owner.request('list_members', { groupId: 'g' })).members.map((m) => m.userId);
  assert.deepEqual(members, ['olga']);
});
