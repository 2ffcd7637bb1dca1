/**
 * Request ids deduplicate retries across trackers: a request applied on
 * tracker A and retried (same id, same session) on tracker B is answered
 * from A's replicated op and not applied again. Raw WebSockets, so the test
 * controls the ids exactly as a failing-over client would send them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';

type Msg = Record<string, unknown>;

const CLIENT_SECRET = 'one-client-instance-secret';

async function raw(t: { after(fn: () => unknown): void }, url: string) {
  const ws = new WebSocket(url);
  t.after(() => ws.close());
  // Per id, the waiters in send order: a retry reuses its id.
  const replies = new Map<string, ((m: Msg) => void)[]>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Msg;
    if (typeof m.id === 'string') replies.get(m.id)?.shift()?.(m);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const send = (m: Msg) =>
    new Promise<Msg>((resolve) => {
      const waiting = replies.get(m.id as string) ?? [];
      waiting.push(resolve);
      replies.set(m.id as string, waiting);
      ws.send(JSON.stringify(m));
    });
  // One client instance: the same secret on every connection, as TrackerClient sends it.
  await send({ id: 'hello', type: 'hello', protocol: PROTOCOL_VERSION, client: CLIENT_SECRET });
  return send;
}

test('a request retried on another tracker is answered, not applied twice', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'dedupe-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'dedupe-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  const onA = await raw(t, a.wsUrl);
  assert.equal((await onA({ id: 'c-1', type: 'create_user', userId: 'rita', password: 'password1' })).ok, true);
  const login = await onA({ id: 'c-2', type: 'login', userId: 'rita', password: 'password1' });
  const token = login.token as string;
  assert.deepEqual(await onA({ id: 'c-3', type: 'create_group', groupId: 'retried' }), { id: 'c-3', ok: true, groupId: 'retried' });
  const created = () => b.core.replica.allOps().filter((op) => op.kind === 'group_created' && op.groupId === 'retried');
  await eventually(() => assert.equal(created().length, 1, 'the op reached tracker B'));

  // The client failed over to B without seeing the reply: resume, then retry with the same id.
  const onB = await raw(t, b.wsUrl);
  assert.equal((await onB({ id: 'c-4', type: 'resume', token })).ok, true);
  assert.deepEqual(await onB({ id: 'c-3', type: 'create_group', groupId: 'retried' }), { id: 'c-3', ok: true, groupId: 'retried' });
  // The same retry on A (a reconnect to the same tracker) is answered too.
  assert.deepEqual(await onA({ id: 'c-3', type: 'create_group', groupId: 'retried' }), { id: 'c-3', ok: true, groupId: 'retried' });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(created().length, 1, 'no second op on B');
  assert.equal(a.core.replica.allOps().filter((op) => op.kind === 'group_created').length, 1, 'no second op on A');

  // Without dedupe the same request under a new id fails: the group exists. That is what a retry must never see.
  const fresh = await onB({ id: 'c-5', type: 'create_group', groupId: 'retried' });
  assert.equal((fresh.error as { code: string }).code, ErrorCode.GroupExists);

  // A login's reply held a token that only its hash was kept of: its retry fails clearly, nothing is applied.
  const sessionsBefore = b.core.state.sessions.size;
  const relogin = await onB({ id: 'c-2', type: 'login', userId: 'rita', password: 'password1' });
  assert.equal((relogin.error as { code: string }).code, ErrorCode.Disconnected);
  assert.equal(b.core.state.sessions.size, sessionsBefore);

  // An id reused for a different request is refused, not confused with the first.
  const reused = await onB({ id: 'c-3', type: 'leave_group', groupId: 'retried' });
  assert.equal((reused.error as { code: string }).code, ErrorCode.InvalidMessage);
  assert.equal(b.core.state.groups.get('retried')?.members.get('rita')?.status, 'member');
});

test('a retry that arrives while the first attempt runs shares its reply', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta' });
  const onA = await raw(t, a.wsUrl);
  await onA({ id: 'u-1', type: 'create_user', userId: 'sam', password: 'password1' });
  // Both sent at once; create_user hashes the password (async) before committing.
  const [first, second] = await Promise.all([
    onA({ id: 'u-2', type: 'create_user', userId: 'tess', password: 'password1' }),
    new Promise<Msg>((resolve) => setImmediate(() => resolve(onA({ id: 'u-2', type: 'create_user', userId: 'tess', password: 'password1' })))),
  ]);
  assert.equal(first.ok, true);
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.equal(a.core.replica.allOps().filter((op) => op.kind === 'user_created' && op.userId === 'tess').length, 1);
});
