/** Replica: the state is a function of the set of ops, whatever the arrival order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Replica } from '../../tracker-server/state/replica.ts';
import { stateDigest, canonicalState, stateFromCanonical } from '../../tracker-server/state/digest.ts';
import type { Op } from '../../protocol/ops.ts';
import { opMaker, actor } from '../helpers/ops.ts';

function history(): Op[] {
  const a = opMaker('A');
  const b = opMaker('B');
  return [
    a(10, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }),
    b(11, { kind: 'user_created', userId: 'ann', salt: 's2', hash: 'h2' }), // loses the name
    b(12, { kind: 'session_opened', userId: 'ann', userKey: 'B:1', tokenHash: 'loser' }),
    a(13, { kind: 'group_created', groupId: 'g', ...actor('ann', 'A:1') }),
    b(14, { kind: 'user_created', userId: 'bob', salt: 's', hash: 'h' }),
    b(15, { kind: 'join_requested', groupKey: 'A:2', ...actor('bob', 'B:3') }),
    a(16, { kind: 'request_accepted', groupKey: 'A:2', userId: 'bob', ...actor('ann', 'A:1') }),
  ];
}

test('the same ops in any order, with duplicates, give the same digest', () => {
  const ops = history();
  const inOrder = new Replica();
  for (const op of ops) inOrder.add(op);
  const reversed = new Replica();
  for (const op of [...ops].reverse()) reversed.add(op);
  const batched = new Replica();
  batched.addMany([ops[3]!, ops[0]!, ops[6]!, ops[6]!, ops[1]!]);
  batched.addMany(ops);
  assert.equal(stateDigest(reversed.state), stateDigest(inOrder.state));
  assert.equal(stateDigest(batched.state), stateDigest(inOrder.state));
  assert.equal(inOrder.state.users.get('ann')!.key, 'A:1');
  assert.equal(inOrder.state.sessions.size, 0, "the loser's session is inert");
  assert.equal(inOrder.state.groups.get('g')!.members.get('bob')!.status, 'member');
});

test('a duplicate is reported and changes nothing', () => {
  const r = new Replica();
  const [first] = history();
  assert.equal(r.add(first!), 'applied');
  const digest = stateDigest(r.state);
  assert.equal(r.add({ ...first! }), 'duplicate');
  assert.equal(stateDigest(r.state), digest);
  assert.equal(r.size, 1);
});

test('version vector and opsAfter say what a peer lacks', () => {
  const r = new Replica();
  r.addMany(history());
  assert.deepEqual(r.versionVector(), { A: 3, B: 4 });
  const lacking = [...r.opsAfter({ A: 3, B: 2 })];
  assert.deepEqual(lacking.map((o) => `${o.origin}:${o.seq}`), ['B:3', 'B:4']);
});

test('the canonical form round-trips to an identical state', () => {
  const r = new Replica();
  r.addMany(history());
  const copy = stateFromCanonical(JSON.parse(JSON.stringify(canonicalState(r.state))));
  assert.equal(stateDigest(copy), stateDigest(r.state));
});

test('ops taken back out (their write failed) leave the state, the ids and the version vector as if they never came', () => {
  const ops = history();
  const kept = ops.filter((_, i) => i !== 1 && i !== 5 && i !== 6);
  const expected = new Replica();
  expected.addMany(kept);
  const r = new Replica();
  r.addMany(ops);
  assert.equal(r.remove([ops[1]!, ops[5]!, ops[6]!, ops[6]!]), 3);
  assert.equal(stateDigest(r.state), stateDigest(expected.state));
  assert.deepEqual(r.versionVector(), expected.versionVector());
  assert.equal(r.size, kept.length);
  assert.ok(!r.has(ops[6]!));
  // The removed op can come again, and then counts as new.
  assert.notEqual(r.add(ops[6]!), 'duplicate');
  assert.equal(r.remove([]), 0);
});
