/** Session lifetimes and the per-user cap (tracker-server/state/sessions.ts): pure rules over replicated facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOp } from '../../tracker-server/state/apply.ts';
import { emptyState } from '../../tracker-server/state/model.ts';
import { liveSession } from '../../tracker-server/state/queries.ts';
import { needsRenewal, publicSessionId, sessionExpiresAt, sessionLiveAt, sessionsOf } from '../../tracker-server/state/sessions.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { MAX_SESSIONS_PER_USER, SESSION_IDLE_MS, SESSION_MAX_MS, SESSION_RENEW_FRACTION } from '../../protocol/constants.ts';
import { opMaker } from '../helpers/ops.ts';

const H = 1000; // hlc units per millisecond
const DAY = 24 * 3600_000;

function world() {
  const state = emptyState();
  const op = opMaker('t1');
  const apply = (ms: number, body: Parameters<typeof op>[1]) => applyOp(state, op(ms * H, body));
  apply(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }); // key t1:1
  return { state, apply };
}
const open = (tokenHash: string, idleMs = 10 * DAY, maxMs = 30 * DAY) =>
  ({ kind: 'session_opened', userId: 'ann', userKey: 't1:1', tokenHash, idleMs, maxMs }) as const;

test('a session expires idle after its last renewal, or max after its opening, whichever is first', () => {
  const s = { openedHlc: 0, renewedHlc: 0, idleMs: 10 * DAY, maxMs: 30 * DAY };
  assert.equal(sessionExpiresAt(s), 10 * DAY);
  assert.equal(sessionLiveAt(s, 10 * DAY - 1), true);
  assert.equal(sessionLiveAt(s, 10 * DAY), false);
  const renewed = { ...s, renewedHlc: 25 * DAY * H };
  assert.equal(sessionExpiresAt(renewed), 30 * DAY, 'renewals never pass the absolute lifetime');
});

test('renewal is needed only once the last one is older than a fraction of the idle lifetime', () => {
  const s = { openedHlc: 0, renewedHlc: 0, idleMs: 8 * DAY, maxMs: 30 * DAY };
  assert.equal(needsRenewal(s, (8 * DAY) / SESSION_RENEW_FRACTION - 1), false);
  assert.equal(needsRenewal(s, (8 * DAY) / SESSION_RENEW_FRACTION), true);
});

test('session_renewed moves the idle lifetime; one stamped after expiry is inert', () => {
  const { state, apply } = world();
  apply(10, open('a'));
  assert.equal(apply(10 + 5 * DAY, { kind: 'session_renewed', tokenHash: 'a' }), true);
  assert.equal(state.sessions.get('a')!.renewedHlc, (10 + 5 * DAY) * H);
  assert.ok(liveSession(state, 'a', 10 + 14 * DAY), 'alive 9 days after the renewal');
  assert.equal(liveSession(state, 'a', 10 + 15 * DAY), undefined, 'expired 10 days after it');
  assert.equal(apply(10 + 15 * DAY, { kind: 'session_renewed', tokenHash: 'a' }), false, 'too late: no revival');
  assert.equal(apply(10 + 16 * DAY, { kind: 'session_renewed', tokenHash: 'unknown' }), false);
});

test('old session_opened ops without lifetimes get the defaults', () => {
  const { state, apply } = world();
  apply(10, { kind: 'session_opened', userId: 'ann', userKey: 't1:1', tokenHash: 'old' });
  const s = state.sessions.get('old')!;
  assert.equal(s.idleMs, SESSION_IDLE_MS);
  assert.equal(s.maxMs, SESSION_MAX_MS);
});

test('opening one more than the cap ends the oldest session; expired ones go first', () => {
  const { state, apply } = world();
  for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) apply(100 + i, open(`s${i}`));
  assert.equal(state.sessions.size, MAX_SESSIONS_PER_USER);
  apply(200, open('new'));
  assert.equal(state.sessions.size, MAX_SESSIONS_PER_USER);
  assert.equal(state.sessions.has('s0'), false, 'the oldest went');
  assert.equal(state.sessions.has('new'), true);
  assert.equal(state.sessionsByUser.get('ann')!.size, MAX_SESSIONS_PER_USER);
  // Much later every old one has expired: a new session drops them all.
  apply(200 + 40 * DAY, open('later'));
  assert.deepEqual([...state.sessions.keys()], ['later']);
});

test('sign out everywhere ends the sessions opened before it, of that account only', () => {
  const { state, apply } = world();
  apply(2, { kind: 'user_created', userId: 'ben', salt: 's', hash: 'h' }); // t1:2
  apply(10, open('a1'));
  apply(11, open('a2'));
  apply(12, { kind: 'session_opened', userId: 'ben', userKey: 't1:2', tokenHash: 'b1' });
  assert.equal(apply(20, { kind: 'user_sessions_revoked', userId: 'ann', userKey: 't1:1' }), true);
  assert.deepEqual([...state.sessions.keys()], ['b1']);
  apply(21, open('a3'));
  assert.equal(state.sessions.has('a3'), true, 'a session opened after it stands');
  assert.equal(apply(22, { kind: 'user_sessions_revoked', userId: 'ann', userKey: 't2:9' }), false, 'a loser of the name cannot');
});

test('list: my live sessions, oldest first; ids are short, stable and not the token hash', () => {
  const { state, apply } = world();
  apply(10, open('a1', 10 * DAY));
  apply(11, open('a2', 1 * DAY));
  const now = 12 + 2 * DAY;
  assert.deepEqual(sessionsOf(state, 'ann', 't1:1', now).map(([h]) => h), ['a1'], 'the expired one is not listed');
  const id = publicSessionId('a'.repeat(64));
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(id, publicSessionId('a'.repeat(64)));
  assert.ok(!('a'.repeat(64)).includes(id));
});

test('two replicas given the same session ops in different orders agree', () => {
  const op = opMaker('t1');
  const ops = [
    op(1 * H, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }),
    ...Array.from({ length: MAX_SESSIONS_PER_USER + 3 }, (_, i) => op((10 + i) * H, open(`s${i}`))),
    op(50 * H, { kind: 'session_renewed', tokenHash: 's5' }),
    op(60 * H, { kind: 'session_revoked', tokenHash: 's7' }),
  ];
  const a = new Replica();
  const b = new Replica();
  a.addMany(ops);
  for (const o of [...ops].reverse()) b.add(o);
  assert.equal(stateDigest(a.state), stateDigest(b.state));
  assert.equal(a.state.sessions.size, MAX_SESSIONS_PER_USER - 1);
});
