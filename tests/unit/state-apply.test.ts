/** The fold rules of tracker-server/state/apply.ts, one behaviour per test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOp } from '../../tracker-server/state/apply.ts';
import { emptyState } from '../../tracker-server/state/model.ts';
import { statusIn } from '../../tracker-server/state/queries.ts';
import { opMaker, actor } from '../helpers/ops.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';

const meta = (groupId: string) => ({ groupId, name: 'f', size: 10, pieceSize: PIECE_SIZE, pieceHashes: ['a'.repeat(40)] });

function world() {
  const state = emptyState();
  const op = opMaker('t1');
  const apply = (hlc: number, body: Parameters<typeof op>[1]) => applyOp(state, op(hlc, body));
  apply(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }); // key t1:1
  apply(2, { kind: 'user_created', userId: 'ben', salt: 's', hash: 'h' }); // key t1:2
  apply(3, { kind: 'user_created', userId: 'cat', salt: 's', hash: 'h' }); // key t1:3
  apply(4, { kind: 'group_created', groupId: 'g', ...actor('ann', 't1:1') }); // key t1:4
  return { state, apply, ann: actor('ann', 't1:1'), ben: actor('ben', 't1:2'), cat: actor('cat', 't1:3'), g: 't1:4' };
}

test('the first creation of a name wins; a later one is inert', () => {
  const { state, apply } = world();
  assert.equal(apply(10, { kind: 'user_created', userId: 'ann', salt: 'x', hash: 'other' }), false);
  assert.equal(state.users.get('ann')!.hash, 'h');
});

test('an op by the loser of a name is inert: it cannot act as the winner', () => {
  const { state, apply } = world();
  // "ann" as created elsewhere with key t2:1 lost the name to t1:1.
  assert.equal(apply(10, { kind: 'group_created', groupId: 'hijack', by: 'ann', byKey: 't2:1' }), false);
  assert.equal(apply(11, { kind: 'session_opened', userId: 'ann', userKey: 't2:1', tokenHash: 'th' }), false);
  assert.equal(state.groups.has('hijack'), false);
  assert.equal(state.sessions.size, 0);
});

test('join, accept, reject: the owner decides; a rejected user may ask again', () => {
  const { state, apply, ben, ann, cat, g } = world();
  assert.equal(apply(5, { kind: 'join_requested', groupKey: g, ...ben }), true);
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'pending');
  assert.equal(apply(6, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...cat }), false, 'only the owner');
  assert.equal(apply(7, { kind: 'request_rejected', groupKey: g, userId: 'ben', ...ann }), true);
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'rejected');
  assert.equal(apply(8, { kind: 'join_requested', groupKey: g, ...ben }), true);
  assert.equal(apply(9, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...ann }), true);
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'member');
});

test('concurrent accept and reject: the later decision wins', () => {
  const { state, apply, ben, ann, g } = world();
  apply(5, { kind: 'join_requested', groupKey: g, ...ben });
  apply(6, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...ann });
  apply(7, { kind: 'request_rejected', groupKey: g, userId: 'ben', ...ann });
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'rejected');
});

test('an owner who leaves hands the group to the longest-standing member', () => {
  const { state, apply, ben, cat, ann, g } = world();
  apply(5, { kind: 'join_requested', groupKey: g, ...cat });
  apply(6, { kind: 'join_requested', groupKey: g, ...ben });
  apply(7, { kind: 'request_accepted', groupKey: g, userId: 'cat', ...ann }); // cat admitted first
  apply(8, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...ann });
  apply(9, { kind: 'member_left', groupKey: g, ...ann });
  assert.equal(state.groups.get('g')!.owner, 'cat');
});

test('a pending requester never inherits a group; the last member\'s leave deletes it, files and all', () => {
  const { state, apply, ben, ann, g } = world();
  apply(5, { kind: 'join_requested', groupKey: g, ...ben });
  apply(6, { kind: 'file_shared', groupKey: g, fileId: 'f1', meta: meta('g'), ...ann });
  apply(7, { kind: 'invite_created', groupKey: g, tokenHash: 'inv', expiresAt: 1e15, ...ann });
  apply(8, { kind: 'member_left', groupKey: g, ...ann });
  assert.equal(state.groups.has('g'), false);
  assert.equal(state.files.size, 0);
  assert.equal(state.invites.size, 0);
  // The name is free again.
  assert.equal(apply(9, { kind: 'group_created', groupId: 'g', ...ben }), true);
  assert.equal(state.groups.get('g')!.owner, 'ben');
});

test('only members share files; only the sharer or the owner stops them', () => {
  const { state, apply, ben, cat, ann, g } = world();
  assert.equal(apply(5, { kind: 'file_shared', groupKey: g, fileId: 'f1', meta: meta('g'), ...ben }), false);
  apply(6, { kind: 'join_requested', groupKey: g, ...ben });
  apply(7, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...ann });
  apply(8, { kind: 'join_requested', groupKey: g, ...cat });
  apply(9, { kind: 'request_accepted', groupKey: g, userId: 'cat', ...ann });
  assert.equal(apply(10, { kind: 'file_shared', groupKey: g, fileId: 'f1', meta: meta('g'), ...ben }), true);
  assert.equal(apply(11, { kind: 'share_stopped', groupKey: g, fileId: 'f1', ...cat }), false);
  assert.equal(apply(12, { kind: 'share_stopped', groupKey: g, fileId: 'f1', ...ann }), true, 'the owner may');
  assert.equal(state.files.size, 0);
});

test('an invite admits until it expires, judged at the op\'s own time', () => {
  const { state, apply, ben, cat, ann, g } = world();
  const expiresAtMs = 5000;
  apply(5, { kind: 'invite_created', groupKey: g, tokenHash: 'inv', expiresAt: expiresAtMs, ...ann });
  assert.equal(apply(4_000_000, { kind: 'invite_used', groupKey: g, tokenHash: 'inv', ...ben }), true);
  assert.equal(apply(6_000_000, { kind: 'invite_used', groupKey: g, tokenHash: 'inv', ...cat }), false, 'expired');
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'member');
  assert.equal(statusIn(state.groups.get('g')!, 'cat'), 'none');
});

test('a logged-out session is gone', () => {
  const { state, apply } = world();
  apply(5, { kind: 'session_opened', userId: 'ann', userKey: 't1:1', tokenHash: 'th' });
  assert.equal(state.sessions.size, 1);
  assert.equal(apply(6, { kind: 'session_revoked', tokenHash: 'th' }), true);
  assert.equal(state.sessions.size, 0);
});

test('one request applied on two trackers creates one account and one group: what was done under either copy stands', () => {
  for (const order of ['first-copy-first', 'retry-first'] as const) {
    const state = emptyState();
    const onA = opMaker('ta');
    const onB = opMaker('tb');
    const rUser = 'r:' + 'u'.repeat(22);
    const rGroup = 'r:' + 'g'.repeat(22);
    // The sign-up applied on A (reply lost) and again on B, where the client went on.
    const copies = [
      { ...onA(10, { kind: 'user_created', userId: 'rita', salt: 'a', hash: 'ha' }), rid: rUser },
      { ...onB(order === 'retry-first' ? 5 : 20, { kind: 'user_created', userId: 'rita', salt: 'b', hash: 'hb' }), rid: rUser },
    ];
    for (const op of copies) applyOp(state, op);
    const rita = actor('rita', rUser);
    assert.equal(state.users.get('rita')?.key, rUser);
    assert.equal(applyOp(state, onB(30, { kind: 'session_opened', userId: 'rita', userKey: rUser, tokenHash: 'th' })), true);
    // The group likewise, then an upload under the retried copy.
    applyOp(state, { ...onA(40, { kind: 'group_created', groupId: 'g', ...rita }), rid: rGroup });
    assert.equal(applyOp(state, { ...onB(50, { kind: 'group_created', groupId: 'g', ...rita }), rid: rGroup }), false, 'the second copy is inert');
    assert.equal(applyOp(state, onB(60, { kind: 'file_shared', groupKey: rGroup, fileId: 'f'.repeat(40), meta: meta('g'), ...rita })), true);
    assert.equal(state.groups.get('g')?.key, rGroup);
    assert.ok(state.groups.get('g')?.files.has('f'.repeat(40)));
    assert.equal(state.sessions.get('th')?.userKey, rUser);
  }
});

test('a request key spent on one group cannot create a second one', () => {
  const { state, ann } = world();
  const rid = 'r:' + 'k'.repeat(22);
  const op = opMaker('t2');
  assert.equal(applyOp(state, { ...op(10, { kind: 'group_created', groupId: 'x', ...ann }), rid }), true);
  assert.equal(applyOp(state, { ...op(11, { kind: 'group_created', groupId: 'y', ...ann }), rid }), false);
  assert.equal(state.groups.has('y'), false);
});

test('the later copy of a request that created a group does not bring it back after it ended', () => {
  const { state, ann } = world();
  const rid = 'r:' + 'e'.repeat(22);
  const onB = opMaker('tb');
  const onA = opMaker('ta');
  // B's copy, then ann leaves (the group ends); A's copy carries a clock far ahead.
  assert.equal(applyOp(state, { ...onB(10, { kind: 'group_created', groupId: 'x', ...ann }), rid }), true);
  assert.equal(applyOp(state, onB(11, { kind: 'member_left', groupKey: rid, ...ann })), true);
  assert.equal(state.groups.has('x'), false);
  assert.equal(applyOp(state, { ...onA(99, { kind: 'group_created', groupId: 'x', ...ann }), rid }), false);
  assert.equal(state.groups.has('x'), false);
});

test('a revoked invite admits nobody; only the owner revokes, and only an invite of that group', () => {
  const { state, apply, ben, cat, ann, g } = world();
  apply(5, { kind: 'invite_created', groupKey: g, tokenHash: 'inv', expiresAt: 1e12, ...ann });
  assert.equal(state.invites.get('inv')!.key, 't1:5', 'the public id is the creating op\'s id');
  assert.equal(apply(6, { kind: 'invite_revoked', groupKey: g, tokenHash: 'inv', ...ben }), false, 'not the owner');
  assert.equal(apply(7, { kind: 'invite_revoked', groupKey: 't9:9', tokenHash: 'inv', ...ann }), false, 'another group');
  assert.equal(apply(8, { kind: 'invite_revoked', groupKey: g, tokenHash: 'inv', ...ann }), true);
  assert.equal(apply(9, { kind: 'invite_revoked', groupKey: g, tokenHash: 'inv', ...ann }), false, 'once');
  assert.equal(apply(10, { kind: 'invite_used', groupKey: g, tokenHash: 'inv', ...cat }), false);
  assert.equal(statusIn(state.groups.get('g')!, 'cat'), 'none');
});

test('the owner removes a member; the owner cannot be removed; nobody else removes', () => {
  const { state, apply, ben, cat, ann, g } = world();
  apply(5, { kind: 'join_requested', groupKey: g, ...ben });
  apply(6, { kind: 'request_accepted', groupKey: g, userId: 'ben', ...ann });
  apply(7, { kind: 'join_requested', groupKey: g, ...cat });
  assert.equal(apply(8, { kind: 'member_removed', groupKey: g, userId: 'ann', ...ben }), false, 'a member cannot remove');
  assert.equal(apply(9, { kind: 'member_removed', groupKey: g, userId: 'ann', ...ann }), false, 'the owner cannot remove themself');
  assert.equal(apply(10, { kind: 'member_removed', groupKey: g, userId: 'cat', ...ann }), false, 'a pending requester is rejected, not removed');
  assert.equal(apply(11, { kind: 'member_removed', groupKey: g, userId: 'ben', ...ann }), true);
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'none');
  assert.equal(apply(12, { kind: 'member_removed', groupKey: g, userId: 'ben', ...ann }), false, 'once');
});

test('an invite made before a member left or was removed does not bring them back; a newer one does', () => {
  const { state, apply, ben, cat, ann, g } = world();
  apply(5, { kind: 'invite_created', groupKey: g, tokenHash: 'old', expiresAt: 1e12, ...ann });
  assert.equal(apply(6, { kind: 'invite_used', groupKey: g, tokenHash: 'old', ...ben }), true);
  assert.equal(apply(7, { kind: 'invite_used', groupKey: g, tokenHash: 'old', ...cat }), true);
  assert.equal(apply(8, { kind: 'member_removed', groupKey: g, userId: 'ben', ...ann }), true);
  assert.equal(apply(9, { kind: 'member_left', groupKey: g, ...cat }), true);
  assert.equal(apply(10, { kind: 'invite_used', groupKey: g, tokenHash: 'old', ...ben }), false, 'removed: the old link is shut to him');
  assert.equal(apply(11, { kind: 'invite_used', groupKey: g, tokenHash: 'old', ...cat }), false, 'left: the old link is shut to her');
  apply(12, { kind: 'invite_created', groupKey: g, tokenHash: 'new', expiresAt: 1e12, ...ann });
  assert.equal(apply(13, { kind: 'invite_used', groupKey: g, tokenHash: 'new', ...ben }), true, 'a new invite admits');
  // A join request stays open to both: the owner decides.
  assert.equal(apply(14, { kind: 'join_requested', groupKey: g, ...cat }), true);
  assert.equal(statusIn(state.groups.get('g')!, 'ben'), 'member');
  assert.equal(statusIn(state.groups.get('g')!, 'cat'), 'pending');
});
