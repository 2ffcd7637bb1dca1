/** Quotas as pure functions of the state (tracker-server/quotas.ts), and the helpers beside them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MAX_PIECES, PIECE_SIZE } from '../../protocol/constants.ts';
import { fileIdOf } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { serverFileIdOf } from '../../tracker-server/handlers/files.ts';
import { bearerMatches } from '../../tracker-server/metrics-auth.ts';
import { DEFAULT_QUOTAS, fileShareRefusal, fileUsage, fileUsageByUser, groupCreateRefusal, inviteRefusal, joinRequestRefusal, parseQuotas, UploadBudget } from '../../tracker-server/quotas.ts';
import { applyOp } from '../../tracker-server/state/apply.ts';
import { emptyState } from '../../tracker-server/state/model.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { actor, opMaker } from '../helpers/ops.ts';

const none = { files: 0, hashes: 0 };
const hex40 = (s: string) => createHash('sha1').update(s).digest('hex');
const meta = (name: string, pieces: number): FileMeta => ({
  groupId: 'g',
  name,
  size: pieces * PIECE_SIZE,
  pieceSize: PIECE_SIZE,
  pieceHashes: Array.from({ length: pieces }, (_, i) => hex40(`${name}${i}`)),
});

function world() {
  const op = opMaker('ta');
  const state = emptyState();
  applyOp(state, op(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }));
  applyOp(state, op(2, { kind: 'user_created', userId: 'bo', salt: 's', hash: 'h' }));
  const ann = actor('ann', 'ta:1');
  const bo = actor('bo', 'ta:2');
  applyOp(state, op(3, { kind: 'group_created', groupId: 'g', ...ann }));
  applyOp(state, op(4, { kind: 'join_requested', groupKey: 'ta:3', ...bo }));
  applyOp(state, op(5, { kind: 'request_accepted', groupKey: 'ta:3', userId: 'bo', ...ann }));
  let hlc = 10;
  const share = (who: typeof ann, m: FileMeta) => applyOp(state, op(hlc++, { kind: 'file_shared', groupKey: 'ta:3', fileId: fileIdOf(m), meta: m, ...who }));
  return { state, op, ann, bo, share, group: () => state.groups.get('g')! };
}

test('files and piece hashes, per user and per group, counted from the state', () => {
  const { state, ann, bo, share, group } = world();
  const quotas = { ...DEFAULT_QUOTAS, filesPerUser: 2, filesPerGroup: 3, hashesPerUser: 10, hashesPerGroup: 15 };
  assert.equal(fileShareRefusal(state, quotas, fileUsageByUser(state).get('ann') ?? none, group(), 10), undefined, 'exactly the limit is allowed');
  assert.match(fileShareRefusal(state, quotas, fileUsageByUser(state).get('ann') ?? none, group(), 11)!, /quota hashes-per-user = 10/);
  share(ann, meta('a', 6));
  share(ann, meta('b', 1));
  assert.match(fileShareRefusal(state, quotas, fileUsageByUser(state).get('ann') ?? none, group(), 1)!, /share 2 files.*quota files-per-user = 2/);
  assert.equal(fileShareRefusal(state, quotas, fileUsageByUser(state).get('bo') ?? none, group(), 8), undefined, 'another user has their own');
  assert.match(fileShareRefusal(state, quotas, fileUsageByUser(state).get('bo') ?? none, group(), 9)!, /quota hashes-per-group = 15/);
  share(bo, meta('c', 1));
  assert.match(fileShareRefusal(state, quotas, fileUsageByUser(state).get('bo') ?? none, group(), 1)!, /quota files-per-group = 3/);
});

test('a user\'s file usage is counted once per state version', () => {
  const replica = new Replica();
  const op = opMaker('ta');
  replica.add(op(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }));
  replica.add(op(2, { kind: 'group_created', groupId: 'g', ...actor('ann', 'ta:1') }));
  assert.deepEqual(fileUsage(replica, 'ann'), none);
  const m = meta('a', 3);
  replica.add(op(3, { kind: 'file_shared', groupKey: 'ta:2', fileId: fileIdOf(m), meta: m, ...actor('ann', 'ta:1') }));
  assert.deepEqual(fileUsage(replica, 'ann'), { files: 1, hashes: 3 }, 'a new version is counted again');
  const counted = fileUsage(replica, 'ann');
  replica.state.files.clear(); // behind the replica's back: no new version, so the count stands
  assert.deepEqual(fileUsage(replica, 'ann'), counted);
});

test('groups per owner, unexpired invites and waiting requests per group', () => {
  const { state, op, ann, group } = world();
  const quotas = { ...DEFAULT_QUOTAS, groupsPerUser: 2, invitesPerGroup: 1, requestsPerGroup: 1 };
  assert.equal(groupCreateRefusal(state, quotas, 'ann'), undefined);
  applyOp(state, op(20, { kind: 'group_created', groupId: 'h', ...ann }));
  assert.match(groupCreateRefusal(state, quotas, 'ann')!, /own 2 groups.*quota groups-per-user = 2/);
  assert.equal(groupCreateRefusal(state, quotas, 'bo'), undefined);

  applyOp(state, op(21, { kind: 'invite_created', groupKey: 'ta:3', tokenHash: 'x', expiresAt: 1000, ...ann }));
  assert.match(inviteRefusal(state, quotas, group(), 1000)!, /quota invites-per-group = 1/);
  assert.equal(inviteRefusal(state, quotas, group(), 1001), undefined, 'an expired invite does not count');

  applyOp(state, op(22, { kind: 'user_created', userId: 'cy', salt: 's', hash: 'h' }));
  assert.equal(joinRequestRefusal(quotas, group()), undefined);
  applyOp(state, op(23, { kind: 'join_requested', groupKey: 'ta:3', ...actor('cy', 'ta:8') }));
  assert.match(joinRequestRefusal(quotas, group())!, /1 requests waiting.*quota requests-per-group = 1/);
});

test('hashes-per-user-per-day: a full bucket at first, refilled at the daily rate, per user', () => {
  let now = 0;
  const budget = new UploadBudget(() => now);
  const quotas = { ...DEFAULT_QUOTAS, hashesPerUserPerDay: 100 };
  assert.equal(budget.take('ann', 60, quotas), undefined);
  assert.equal(budget.take('ann', 40, quotas), undefined, 'the whole day at once');
  const refused = budget.take('ann', 10, quotas)!;
  assert.match(refused, /quota hashes-per-user-per-day = 100\); try again in 144 min/, 'a tenth of a day');
  assert.equal(budget.take('bo', 100, quotas), undefined, 'per user');
  now += 2.4 * 3600 * 1000;
  assert.equal(budget.take('ann', 10, quotas), undefined, 'refilled');
  assert.match(budget.take('cy', 101, quotas)!, /= 100\)$/, 'more than a day: no promise of when');
});

test('--quota NAME=N over the defaults; unknown names and bad numbers are refused', () => {
  assert.deepEqual(parseQuotas([]), DEFAULT_QUOTAS);
  assert.deepEqual(parseQuotas(['files-per-user=5', ' groups-per-user=0']), { ...DEFAULT_QUOTAS, filesPerUser: 5, groupsPerUser: 0 });
  assert.throws(() => parseQuotas(['files=5']), /--quota: .*files-per-user/);
  assert.throws(() => parseQuotas(['files-per-user=-1']), /--quota/);
  assert.throws(() => parseQuotas(['files-per-user']), /--quota/);
});

test('the server computes the same file id as the portable code, natively', () => {
  for (const m of [meta('one', 1), { ...meta('big', MAX_PIECES), name: 'naïve ✓.bin' }]) assert.equal(serverFileIdOf(m), fileIdOf(m));
});

test('--metrics-token: only the exact bearer token', () => {
  const token = 'k'.repeat(24);
  assert.equal(bearerMatches(`Bearer ${token}`, token), true);
  assert.equal(bearerMatches(`bearer ${token}`, token), true, 'the scheme is case-insensitive (RFC 9110)');
  for (const header of [undefined, '', 'Bearer', `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token]) {
    assert.equal(bearerMatches(header, token), false, String(header));
  }
});
