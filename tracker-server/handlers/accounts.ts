/** Sign-up, log-in, resume, log-out, and my sessions. */
import { signedInIce } from './ice.ts';
import { PASSWORD_JOBS_PER_CONNECTION, SESSION_IDLE_MS, SESSION_MAX_MS, SIGNUP_BURST } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { hlcToMs } from '../../protocol/ops.ts';
import { dummyRecord, hashPassword, hashToken, newToken, verifyPassword } from '../auth.ts';
import type { ClientLink } from '../core.ts';
import { PoolBusyError } from '../password-pool.ts';
import { liveSession, storedTokenHash } from '../state/queries.ts';
import { needsRenewal, publicSessionId, sessionExpiresAt, sessionsOf } from '../state/sessions.ts';
import { fail, requireSession, type Handler, type HandlerContext } from './context.ts';

/**
 * Password requests in flight per connection: one connection cannot queue a
 * flood of hashes (an app has one sign-up or log-in at a time).
 */
const passwordJobs = new WeakMap<ClientLink, number>();

async function withPasswordSlot<T>(client: ClientLink, run: () => Promise<T>): Promise<T> {
  const n = passwordJobs.get(client) ?? 0;
  if (n >= PASSWORD_JOBS_PER_CONNECTION) fail(ErrorCode.RateLimited, 'a sign-up or log-in is already running on this connection; wait for it');
  passwordJobs.set(client, n + 1);
  try {
    return await run();
  } catch (err) {
    if (err instanceof PoolBusyError) fail(ErrorCode.Busy, 'the tracker is checking many passwords right now; try again in a few seconds');
    throw err;
  } finally {
    passwordJobs.set(client, (passwordJobs.get(client) ?? 1) - 1);
  }
}

/** The tracker's time for judging sessions: its hybrid clock, which never runs behind an op it has seen. */
const nowMs = (ctx: HandlerContext): number => hlcToMs(ctx.core.clock.stamp());

export const createUser: Handler<'create_user'> = async (ctx, { userId, password }) => {
  const taken = () => ctx.core.state.users.has(userId) && fail(ErrorCode.UserExists, `the name ${userId} is taken`);
  taken();
  if (!ctx.logins.signupAllowed(ctx.client.address, ctx.core.config.signupBurst ?? SIGNUP_BURST)) {
    fail(ErrorCode.RateLimited, 'too many sign-ups from your address; wait a few minutes and try again');
  }
  const { salt, hash } = await withPasswordSlot(ctx.client, () => hashPassword(password, ctx.core.config.scrypt));
  taken(); // someone may have taken it while we hashed
  await ctx.commit({ kind: 'user_created', userId, salt, hash });
  return { userId };
};

export const login: Handler<'login'> = async (ctx, { userId, password }) => {
  const { logins, client } = ctx;
  // Counted before hashing (limits.ts): concurrent guesses cannot all pass.
  const ticket = logins.begin(userId, client.address) ?? fail(ErrorCode.RateLimited, 'too many failed log-ins; wait a minute and try again');
  const user = ctx.core.state.users.get(userId);
  let ok: boolean;
  try {
    // A missing user is checked against a dummy record at the current cost: the same work, the same time.
    const record = user ?? dummyRecord(ctx.core.config.scrypt);
    ok = (await withPasswordSlot(client, () => verifyPassword(password, record.salt, record.hash))) && user !== undefined;
  } catch (err) {
    ticket.succeeded(); // not checked (busy): not held against anyone
    throw err;
  }
  // Re-read: the account may have lost its name to a merge while we hashed.
  const current = ctx.core.state.users.get(userId);
  if (!ok || !user || current?.key !== user.key) {
    ticket.failed();
    return fail(ErrorCode.BadCredentials, 'wrong user id or password');
  }
  ticket.succeeded();
  const token = newToken();
  const tokenHash = hashToken(token);
  const { sessionIdleMs = SESSION_IDLE_MS, sessionMaxMs = SESSION_MAX_MS } = ctx.core.config;
  await ctx.commit({ kind: 'session_opened', userId, userKey: user.key, tokenHash, idleMs: sessionIdleMs, maxMs: sessionMaxMs });
  ctx.core.clients.signIn(client, { userId, userKey: user.key, tokenHash });
  return { userId, token, ...signedInIce(ctx, user.key) };
};

export const resume: Handler<'resume'> = (ctx, { token }) => {
  const tokenHash = hashToken(token);
  const now = nowMs(ctx);
  const session = liveSession(ctx.core.state, tokenHash, now) ?? fail(ErrorCode.InvalidSession, 'this session has ended; log in again');
  ctx.core.clients.signIn(ctx.client, { userId: session.userId, userKey: session.userKey, tokenHash: storedTokenHash(ctx.core.state, session.userId, tokenHash) });
  if (!needsRenewal(session, now)) return { userId: session.userId, ...signedInIce(ctx, session.userKey) };
  // Used again after a while: its idle lifetime restarts, for every tracker, from this op.
  return ctx.commit({ kind: 'session_renewed', tokenHash }).then(({ effective }) => {
    if (!effective) {
      ctx.core.clients.signOut(ctx.client);
      fail(ErrorCode.InvalidSession, 'this session has expired; log in again');
    }
    return { userId: session.userId, ...signedInIce(ctx, session.userKey) };
  });
};

export const logout: Handler<'logout'> = async (ctx) => {
  const { tokenHash } = requireSession(ctx);
  ctx.core.clients.signOut(ctx.client);
  await ctx.commit({ kind: 'session_revoked', tokenHash });
  return {};
};

export const listSessions: Handler<'list_sessions'> = (ctx) => {
  const me = requireSession(ctx);
  const sessions = sessionsOf(ctx.core.state, me.userId, me.userKey, nowMs(ctx)).map(([hash, s]) => ({
    sessionId: publicSessionId(hash),
    openedAt: hlcToMs(s.openedHlc),
    renewedAt: hlcToMs(s.renewedHlc),
    expiresAt: sessionExpiresAt(s),
    current: hash === me.tokenHash,
  }));
  return { sessions };
};

export const revokeSession: Handler<'revoke_session'> = async (ctx, { sessionId }) => {
  const me = requireSession(ctx);
  const found = sessionsOf(ctx.core.state, me.userId, me.userKey, nowMs(ctx)).find(([hash]) => publicSessionId(hash) === sessionId);
  if (!found) return fail(ErrorCode.NoSuchSession, 'you have no session with that id (it may have ended already)');
  // Every connection on that session, here and on every tracker, hears session_revoked when the op is applied.
  await ctx.commit({ kind: 'session_revoked', tokenHash: found[0] });
  return {};
};

export const logoutAll: Handler<'logout_all'> = async (ctx) => {
  const me = requireSession(ctx);
  await ctx.commit({ kind: 'user_sessions_revoked', userId: me.userId, userKey: me.userKey });
  return {};
};
