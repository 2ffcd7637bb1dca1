/**
 * Issue 8, item 9: my sessions across two linked trackers: list, revoke one,
 * sign out everywhere (every tab on every tracker hears session_revoked),
 * the per-user cap, and idle/absolute lifetimes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors.ts';
import { MAX_SESSIONS_PER_USER } from '../../protocol/constants.ts';
import { hashToken } from '../../tracker-server/auth.ts';
import { liveSession } from '../../tracker-server/state/queries.ts';
import { connectClient, eventually, recordEvents, startTestTracker, type Teardown } from '../helpers/tracker.ts';
import type { TrackerClient } from '../../client/tracker.ts';

async function linkedPair(t: Teardown) {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'sessions-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'sessions-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  return { a, b };
}

async function tab(t: Teardown, url: string, userId = 'alice'): Promise<{ client: TrackerClient; token: string; events: ReturnType<typeof recordEvents> }> {
  const client = await connectClient(t, url);
  const events = recordEvents(client);
  const { token } = await client.login(userId, 'password1');
  return { client, token, events };
}

async function resumeCode(t: Teardown, url: string, token: string): Promise<string> {
  const c = await connectClient(t, url);
  try {
    await c.resume(token);
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  } finally {
    c.close();
  }
}

const revoked = (events: { event: string }[]) => events.some((e) => e.event === 'session_revoked');

test('list, revoke one, sign out everywhere: across two linked trackers', async (t) => {
  const { a, b } = await linkedPair(t);
  const signup = await connectClient(t, a.wsUrl);
  await signup.request('create_user', { userId: 'alice', password: 'password1' });
  await eventually(() => assert.ok(b.core.state.users.has('alice')));
  const one = await tab(t, a.wsUrl);
  const two = await tab(t, b.wsUrl);
  const three = await tab(t, b.wsUrl);

  const listed = await eventually(async () => {
    const sessions = await one.client.listSessions();
    assert.equal(sessions.length, 3);
    return sessions;
  });
  assert.equal(listed.filter((s) => s.current).length, 1, 'exactly one is this one');
  const text = JSON.stringify(listed);
  for (const { token } of [one, two, three]) {
    assert.ok(!text.includes(token) && !text.includes(hashToken(token)), 'no token or token hash is shown');
  }
  for (const s of listed) {
    assert.match(s.sessionId, /^[0-9a-f]{16}$/);
    assert.ok(s.openedAt <= s.renewedAt && s.renewedAt < s.expiresAt);
  }

  // Tab two's id, as tab two sees it (current), revoked from tab one on the other tracker.
  const twoId = (await two.client.listSessions()).find((s) => s.current)!.sessionId;
  await one.client.revokeSession(twoId);
  await eventually(() => assert.ok(revoked(two.events), 'tab two, on tracker B, heard session_revoked'));
  assert.equal(await resumeCode(t, b.wsUrl, two.token), ErrorCode.InvalidSession);
  assert.equal(revoked(one.events) || revoked(three.events), false, 'the other tabs stay signed in');
  await assert.rejects(one.client.revokeSession(twoId), { code: ErrorCode.NoSuchSession });

  // Sign out everywhere, from tracker B: tab one on tracker A hears it too.
  await three.client.logoutAll();
  await eventually(() => assert.ok(revoked(one.events), 'tab one, on tracker A, heard session_revoked'));
  assert.ok(revoked(three.events));
  for (const { token } of [one, two, three]) {
    assert.equal(await resumeCode(t, a.wsUrl, token), ErrorCode.InvalidSession);
    assert.equal(await resumeCode(t, b.wsUrl, token), ErrorCode.InvalidSession);
  }
});

test('one session more than the cap ends the oldest, and its tab hears it', async (t) => {
  const tracker = await startTestTracker(t);
  const signup = await connectClient(t, tracker.wsUrl);
  await signup.request('create_user', { userId: 'alice', password: 'password1' });
  const first = await tab(t, tracker.wsUrl);
  const tokens: string[] = [];
  for (let i = 1; i < MAX_SESSIONS_PER_USER; i++) tokens.push((await signup.login('alice', 'password1')).token);
  assert.equal(revoked(first.events), false, 'at the cap, nothing ends');
  await signup.login('alice', 'password1');
  await eventually(() => assert.ok(revoked(first.events), 'the oldest session ended'));
  assert.equal(await resumeCode(t, tracker.wsUrl, first.token), ErrorCode.InvalidSession);
  assert.equal(await resumeCode(t, tracker.wsUrl, tokens[0]!), 'ok', 'the next oldest stands');
  assert.equal((await signup.listSessions()).length, MAX_SESSIONS_PER_USER);
});

test('an unused session ends after the idle lifetime; a used one is renewed until the absolute lifetime', async (t) => {
  const tracker = await startTestTracker(t, { sessionIdleMs: 2000, sessionMaxMs: 4500 });
  const signup = await connectClient(t, tracker.wsUrl);
  await signup.request('create_user', { userId: 'alice', password: 'password1' });
  const used = (await signup.login('alice', 'password1')).token;
  const unused = (await signup.login('alice', 'password1')).token;
  const user = await connectClient(t, tracker.wsUrl);
  let keepUsing = true;
  const renewals = () => tracker.core.replica.allOps().filter((op) => op.kind === 'session_renewed').length;
  const using = (async () => {
    while (keepUsing) {
      await user.resume(used).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  t.after(() => (keepUsing = false));
  // Watched in the state: resuming it to find out would be using it.
  await eventually(() => assert.equal(liveSession(tracker.core.state, hashToken(unused), Date.now()), undefined), 8000, 50);
  assert.equal(await resumeCode(t, tracker.wsUrl, unused), ErrorCode.InvalidSession);
  assert.equal(await resumeCode(t, tracker.wsUrl, used), 'ok', 'the session in use outlived the idle lifetime');
  assert.ok(renewals() >= 1, 'renewed by session_renewed ops');
  assert.ok(renewals() < 20, 'not one op per resume');
  await eventually(async () => assert.equal(await resumeCode(t, tracker.wsUrl, used), ErrorCode.InvalidSession), 8000, 100);
  keepUsing = false;
  await using;
});

test('an open tab keeps its session renewed past the idle lifetime, and is told when the absolute lifetime ends it', async (t) => {
  const tracker = await startTestTracker(t, { sessionIdleMs: 2000, sessionMaxMs: 5000, sessionCheckMs: 100 });
  const signup = await connectClient(t, tracker.wsUrl);
  await signup.request('create_user', { userId: 'alice', password: 'password1' });
  const unused = (await signup.login('alice', 'password1')).token;
  signup.close();
  const open = await tab(t, tracker.wsUrl);
  await eventually(() => assert.equal(liveSession(tracker.core.state, hashToken(unused), Date.now()), undefined), 8000, 50);
  assert.equal(revoked(open.events), false, 'past the idle lifetime, the open tab is still signed in');
  assert.ok(liveSession(tracker.core.state, hashToken(open.token), Date.now()));
  const ended = await eventually(() => {
    const e = open.events.find((x) => x.event === 'session_revoked');
    assert.ok(e, 'the open tab heard session_revoked');
    return e as { reason: string };
  }, 8000, 50);
  assert.match(ended.reason, /expired/);
});
