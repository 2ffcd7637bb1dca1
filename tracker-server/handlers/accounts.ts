/** Sign-up, log-in, resume and log-out. */
import { ErrorCode } from '../../protocol/errors.ts';
import { hashPassword, hashToken, newToken, verifyPassword } from '../auth.ts';
import { liveSession } from '../state/queries.ts';
import { fail, requireSession, type Handler } from './context.ts';

export const createUser: Handler<'create_user'> = async (ctx, { userId, password }) => {
  const taken = () => ctx.core.state.users.has(userId) && fail(ErrorCode.UserExists, `the name ${userId} is taken`);
  taken();
  const { salt, hash } = await hashPassword(password, ctx.core.config.scrypt);
  taken(); // someone may have taken it while we hashed
  await ctx.core.commit({ kind: 'user_created', userId, salt, hash });
  return { userId };
};

export const login: Handler<'login'> = async (ctx, { userId, password }) => {
  const { logins, client } = ctx;
  if (!logins.allowed(userId, client.address)) {
    fail(ErrorCode.RateLimited, 'too many failed log-ins; wait a minute and try again');
  }
  const user = ctx.core.state.users.get(userId);
  const ok = user ? await verifyPassword(password, user.salt, user.hash) : false;
  // Re-read: the account may have lost its name to a merge while we hashed.
  const current = ctx.core.state.users.get(userId);
  if (!ok || !user || current?.key !== user.key) {
    logins.failed(userId, client.address);
    return fail(ErrorCode.BadCredentials, 'wrong user id or password');
  }
  const token = newToken();
  const tokenHash = hashToken(token);
  await ctx.core.commit({ kind: 'session_opened', userId, userKey: user.key, tokenHash });
  ctx.core.signIn(client, { userId, userKey: user.key, tokenHash });
  return { userId, token };
};

export const resume: Handler<'resume'> = (ctx, { token }) => {
  const tokenHash = hashToken(token);
  const session = liveSession(ctx.core.state, tokenHash) ?? fail(ErrorCode.InvalidSession, 'this session has ended; log in again');
  ctx.core.signIn(ctx.client, { userId: session.userId, userKey: session.userKey, tokenHash });
  return { userId: session.userId };
};

export const logout: Handler<'logout'> = async (ctx) => {
  const { tokenHash } = requireSession(ctx);
  ctx.core.signOut(ctx.client);
  await ctx.core.commit({ kind: 'session_revoked', tokenHash });
  return {};
};
