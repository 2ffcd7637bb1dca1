/**
 * Issue 8, item 13: the log-in limiter over real WebSockets. Concurrent
 * guesses cannot bypass it; a stranger on another address cannot lock the
 * owner out; X-Forwarded-For counts only with --trust-proxy; a missing user
 * costs the same scrypt work as a real one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ErrorCode } from '../../protocol/errors.ts';
import { LOGIN_FAILURES_PER_ACCOUNT, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { passwordPool } from '../../tracker-server/password-pool.ts';
import { startTestTracker, TEST_SCRYPT, type Teardown } from '../helpers/tracker.ts';

type Msg = Record<string, unknown> & { id?: string; ok?: boolean; error?: { code: string } };

/** A raw socket from a chosen loopback address, optionally with extra headers; says hello. */
async function socketFrom(t: Teardown, url: string, opts: { localAddress?: string; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, { localAddress: opts.localAddress, headers: opts.headers });
  t.after(() => ws.terminate());
  const replies = new Map<string, (m: Msg) => void>();
  const early = new Map<string, Msg>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    if (typeof m.id !== 'string') return;
    const waiter = replies.get(m.id);
    if (waiter) waiter(m);
    else early.set(m.id, m);
  });
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const request = (id: string, body: Record<string, unknown>): Promise<Msg> => {
    const got = early.get(id);
    ws.send(JSON.stringify({ id, ...body }));
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => replies.set(id, resolve));
  };
  const hello = await request('h', { type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal(hello.ok, true);
  return { ws, request };
}

async function signUp(t: Teardown, url: string, userId: string, password: string): Promise<void> {
  const s = await socketFrom(t, url);
  const r = await s.request('u', { type: 'create_user', userId, password });
  assert.equal(r.ok, true, JSON.stringify(r));
  s.ws.close();
}

test('300 guesses sent at once over several connections: at most the allowed number are checked, and the right one among them is refused', async (t) => {
  const tracker = await startTestTracker(t);
  await signUp(t, tracker.wsUrl, 'victim', 'correct-horse');
  const sockets = await Promise.all(Array.from({ length: 10 }, () => socketFrom(t, tracker.wsUrl)));
  const guesses: Promise<Msg>[] = [];
  for (let i = 0; i < 300; i++) {
    const s = sockets[i % sockets.length]!;
    // The right password is the last guess: it may only be checked if the limit let 300 through.
    const password = i === 299 ? 'correct-horse' : `wrong-${i}`;
    guesses.push(s.request(`g${i}`, { type: 'login', userId: 'victim', password }));
  }
  const replies = await Promise.all(guesses);
  const checked = replies.filter((r) => r.ok === true || r.error?.code === ErrorCode.BadCredentials).length;
  assert.ok(checked <= LOGIN_FAILURES_PER_ACCOUNT, `${checked} guesses were checked, at most ${LOGIN_FAILURES_PER_ACCOUNT} may be`);
  assert.equal(replies.filter((r) => r.ok === true).length, 0, 'the right password, sent last, was not accepted');
  assert.ok(replies.every((r) => r.ok === true || r.error?.code === ErrorCode.BadCredentials || r.error?.code === ErrorCode.RateLimited));
});

test('a stranger on another address cannot lock the owner out', async (t) => {
  const tracker = await startTestTracker(t);
  await signUp(t, tracker.wsUrl, 'owner', 'owner-password');
  const stranger = await socketFrom(t, tracker.wsUrl, { localAddress: '127.0.0.2' });
  for (let i = 0; i < 20; i++) await stranger.request(`s${i}`, { type: 'login', userId: 'owner', password: `nope-${i}` });
  const last = await stranger.request('s-last', { type: 'login', userId: 'owner', password: 'nope' });
  assert.equal(last.error?.code, ErrorCode.RateLimited, 'the stranger is stopped');
  const owner = await socketFrom(t, tracker.wsUrl, { localAddress: '127.0.0.1' });
  const mine = await owner.request('o', { type: 'login', userId: 'owner', password: 'owner-password' });
  assert.equal(mine.ok, true, `the owner logs in from their own address: ${JSON.stringify(mine)}`);
});

test('without --trust-proxy X-Forwarded-For is ignored; with it, each client behind the proxy is counted apart', async (t) => {
  for (const trust of [false, true]) {
    const tracker = await startTestTracker(t, trust ? { trustProxy: ['127.0.0.1'] } : {});
    await signUp(t, tracker.wsUrl, 'carol', 'carol-password');
    const stranger = await socketFrom(t, tracker.wsUrl, { headers: { 'X-Forwarded-For': '203.0.113.66' } });
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++) {
      const r = await stranger.request(`s${i}`, { type: 'login', userId: 'carol', password: `nope-${i}` });
      assert.equal(r.error?.code, ErrorCode.BadCredentials);
    }
    // Carol, behind the same proxy, from another client address.
    const carol = await socketFrom(t, tracker.wsUrl, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    const r = await carol.request('c', { type: 'login', userId: 'carol', password: 'carol-password' });
    if (trust) assert.equal(r.ok, true, `with --trust-proxy Carol is her own address: ${JSON.stringify(r)}`);
    else assert.equal(r.error?.code, ErrorCode.RateLimited, 'without it the header is ignored: both are 127.0.0.1');
    // And a forged header from an untrusted peer changes nothing.
    const forger = await socketFrom(t, tracker.wsUrl, { localAddress: '127.0.0.3', headers: { 'X-Forwarded-For': '198.51.100.7' } });
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++) await forger.request(`f${i}`, { type: 'login', userId: 'carol', password: `nope-${i}` });
    const again = await socketFrom(t, tracker.wsUrl, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    const r2 = await again.request('c2', { type: 'login', userId: 'carol', password: 'carol-password' });
    if (trust) assert.equal(r2.ok, true, 'the forger on 127.0.0.3 is not trusted: its header did not make it 198.51.100.7');
    await tracker.close();
  }
});

test('a log-in for a missing user is checked against a dummy hash at the same cost as a real one', async (t) => {
  const tracker = await startTestTracker(t);
  const s = await socketFrom(t, tracker.wsUrl);
  const before = passwordPool.stats.completed;
  const r = await s.request('m', { type: 'login', userId: 'nobody-here', password: 'whatever' });
  assert.equal(r.error?.code, ErrorCode.BadCredentials, 'the same answer as a wrong password');
  assert.equal(passwordPool.stats.completed, before + 1, 'one scrypt was run for the missing user');
  assert.equal(passwordPool.stats.lastN, TEST_SCRYPT.N, 'at the configured cost');
});

test('sign-ups are limited per address', async (t) => {
  const tracker = await startTestTracker(t, { signupBurst: 3 });
  const s = await socketFrom(t, tracker.wsUrl);
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await s.request(`u${i}`, { type: 'create_user', userId: `user${i}`, password: 'password1' });
    codes.push(r.ok ? 'ok' : r.error?.code);
  }
  assert.deepEqual(codes, ['ok', 'ok', 'ok', ErrorCode.RateLimited, ErrorCode.RateLimited]);
  const other = await socketFrom(t, tracker.wsUrl, { localAddress: '127.0.0.2' });
  assert.equal((await other.request('o', { type: 'create_user', userId: 'other', password: 'password1' })).ok, true, 'another address is unaffected');
});
