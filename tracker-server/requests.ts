/**
 * The request table: one descriptor per request type, `hello` and `ping`
 * included. A descriptor says what the request parses (its schema from
 * protocol/), how it runs, which handler runs it, and, for a request that
 * makes ops, how its reply is rebuilt from the op when a retry comes back.
 * The pipeline (pipeline.ts) reads nothing else: adding a request is its
 * schema in protocol/, one entry here, and its handler.
 *
 * How a request runs (`runs`):
 * - `connection`: answered by the connection itself (hello, ping), before
 *   hello too; no session, no op.
 * - `soft`: presence, signals, ICE servers. Synchronous end to end from soft
 *   state, never an op, so no dedupe: they are most of the traffic.
 * - `read`: reads the replicated state. It waits for writes on their way to
 *   disk, so it never shows an op that may still be taken back. No op.
 * - `write`: may make ops. Deduped per client by the request ledger
 *   (request-ledger.ts): a retry is answered from the op the first attempt
 *   made, through `replay`; the handler's `ctx.commit` stamps its ops with
 *   the request's key.
 */
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import type { Op } from '../protocol/ops.ts';
import { RequestSchemas, type ReplyBody, type RequestOf, type RequestType } from '../protocol/tracker.ts';
import type { State } from './state/model.ts';
import { statusIn } from './state/queries.ts';
import type { Handler } from './handlers/context.ts';
import { iceServers } from './handlers/ice.ts';
import { createUser, listSessions, login, logout, logoutAll, resume, revokeSession } from './handlers/accounts.ts';
import { acceptRequest, createGroup, createInvite, joinGroup, leaveGroup, listGroups, listMembers, listRequests, rejectRequest } from './handlers/groups.ts';
import { listInvites, removeMember, revokeInvite } from './handlers/membership.ts';
import { getFile, listFiles, stopShare, uploadFile } from './handlers/files.ts';
import { announce, getHolders, have, signal, unannounce } from './handlers/presence.ts';
import { connectionOutcome } from './handlers/outcomes.ts';
import { signals } from './handlers/signals.ts';

/** What a connection-level request (hello, ping) needs of the connection answering it. */
export interface ConnectionRequests {
  hello(protocol: number, clientSecret: string | undefined): ReplyBody<'hello'>;
}

/**
 * The reply a first attempt gave (or would give now), rebuilt from the op it
 * made; undefined when `op` is not what this request makes (the id was used
 * for another request). The ledger gives the op only to the client that
 * made it, and the pipeline checks the op's actor first.
 */
export type Replay<T extends RequestType> = (request: RequestOf<T>, op: Op, state: State, userId: string | undefined) => ReplyBody<T> | undefined;

type Schema<T extends RequestType> = (typeof RequestSchemas)[T];

export type RequestDescriptor<T extends RequestType> =
  | { schema: Schema<T>; runs: 'connection'; handler: (connection: ConnectionRequests, request: RequestOf<T>) => ReplyBody<T> }
  | { schema: Schema<T>; runs: 'soft' | 'read'; handler: Handler<T> }
  | { schema: Schema<T>; runs: 'write'; handler: Handler<T>; replay: Replay<T> };

export type RequestTable = { [T in RequestType]: RequestDescriptor<T> };

/** A reply whose secret (a session token, an invite token) only the lost reply held: the op keeps its hash. */
const lost = (what: string): never => {
  throw new MeshdropError(ErrorCode.Disconnected, `this ${what} was done, but its reply was lost with the connection; do it again`);
};

/** Whether a request makes ops: the ones the ledger dedupes and whose ops carry the request's key. */
export const makesOps = (type: RequestType): boolean => requests[type].runs === 'write';

/**
 * The table. Mutable on purpose: a test swaps a handler to prove what a
 * throwing handler does to the connection (tests/integration/hostile-crashers).
 */
export const requests: RequestTable = {
  hello: { schema: RequestSchemas.hello, runs: 'connection', handler: (conn, r) => conn.hello(r.protocol, r.client) },
  ping: { schema: RequestSchemas.ping, runs: 'connection', handler: () => ({}) },

  create_user: {
    schema: RequestSchemas.create_user,
    runs: 'write',
    handler: createUser,
    replay: (r, op) => (op.kind === 'user_created' && op.userId === r.userId ? { userId: op.userId } : undefined),
  },
  login: {
    schema: RequestSchemas.login,
    runs: 'write',
    handler: login,
    replay: (r, op) => (op.kind === 'session_opened' && op.userId === r.userId ? lost('log-in') : undefined),
  },
  /**
   * May make an op (a renewal). Not rebuilt from it: a client resumes afresh
   * on each connection, and a retry whose renewal already stands is refused
   * as a reused id, as it always was.
   */
  resume: { schema: RequestSchemas.resume, runs: 'write', handler: resume, replay: () => undefined },
  logout: { schema: RequestSchemas.logout, runs: 'write', handler: logout, replay: (_r, op) => (op.kind === 'session_revoked' ? {} : undefined) },
  revoke_session: {
    schema: RequestSchemas.revoke_session,
    runs: 'write',
    handler: revokeSession,
    replay: (_r, op) => (op.kind === 'session_revoked' ? {} : undefined),
  },
  // Its op names its actor as userId, not `by`: checked here.
  logout_all: {
    schema: RequestSchemas.logout_all,
    runs: 'write',
    handler: logoutAll,
    replay: (_r, op, _state, userId) => (op.kind === 'user_sessions_revoked' && op.userId === userId ? {} : undefined),
  },
  ice_servers: { schema: RequestSchemas.ice_servers, runs: 'soft', handler: iceServers },
  connection_outcome: { schema: RequestSchemas.connection_outcome, runs: 'soft', handler: connectionOutcome },
  list_sessions: { schema: RequestSchemas.list_sessions, runs: 'read', handler: listSessions },

  create_group: {
    schema: RequestSchemas.create_group,
    runs: 'write',
    handler: createGroup,
    replay: (r, op) => (op.kind === 'group_created' && op.groupId === r.groupId ? { groupId: op.groupId } : undefined),
  },
  join_group: {
    schema: RequestSchemas.join_group,
    runs: 'write',
    handler: joinGroup,
    replay: (r, op, state) => {
      if (op.kind !== 'join_requested' && op.kind !== 'invite_used') return undefined;
      const group = state.groupsByKey.get(op.groupKey);
      return { groupId: r.groupId, status: group ? statusIn(group, op.by) : 'none' };
    },
  },
  leave_group: {
    schema: RequestSchemas.leave_group,
    runs: 'write',
    handler: leaveGroup,
    replay: (r, op) => (op.kind === 'member_left' ? { groupId: r.groupId } : undefined),
  },
  list_requests: { schema: RequestSchemas.list_requests, runs: 'read', handler: listRequests },
  accept_request: {
    schema: RequestSchemas.accept_request,
    runs: 'write',
    handler: acceptRequest,
    replay: (_r, op) => (op.kind === 'request_accepted' ? {} : undefined),
  },
  reject_request: {
    schema: RequestSchemas.reject_request,
    runs: 'write',
    handler: rejectRequest,
    replay: (_r, op) => (op.kind === 'request_rejected' ? {} : undefined),
  },
  list_groups: { schema: RequestSchemas.list_groups, runs: 'read', handler: listGroups },
  list_members: { schema: RequestSchemas.list_members, runs: 'read', handler: listMembers },
  create_invite: {
    schema: RequestSchemas.create_invite,
    runs: 'write',
    handler: createInvite,
    replay: (_r, op) => (op.kind === 'invite_created' ? lost('invite') : undefined),
  },
  list_invites: { schema: RequestSchemas.list_invites, runs: 'read', handler: listInvites },
  revoke_invite: {
    schema: RequestSchemas.revoke_invite,
    runs: 'write',
    handler: revokeInvite,
    replay: (_r, op) => (op.kind === 'invite_revoked' ? {} : undefined),
  },
  remove_member: {
    schema: RequestSchemas.remove_member,
    runs: 'write',
    handler: removeMember,
    replay: (r, op) => (op.kind === 'member_removed' && op.userId === r.userId ? {} : undefined),
  },

  upload_file: {
    schema: RequestSchemas.upload_file,
    runs: 'write',
    handler: uploadFile,
    replay: (r, op) => (op.kind === 'file_shared' && op.fileId === r.fileId ? { fileId: op.fileId } : undefined),
  },
  list_files: { schema: RequestSchemas.list_files, runs: 'read', handler: listFiles },
  get_file: { schema: RequestSchemas.get_file, runs: 'read', handler: getFile },
  stop_share: {
    schema: RequestSchemas.stop_share,
    runs: 'write',
    handler: stopShare,
    replay: (r, op) => (op.kind === 'share_stopped' && op.fileId === r.fileId ? {} : undefined),
  },

  announce: { schema: RequestSchemas.announce, runs: 'soft', handler: announce },
  have: { schema: RequestSchemas.have, runs: 'soft', handler: have },
  unannounce: { schema: RequestSchemas.unannounce, runs: 'soft', handler: unannounce },
  get_holders: { schema: RequestSchemas.get_holders, runs: 'soft', handler: getHolders },
  signal: { schema: RequestSchemas.signal, runs: 'soft', handler: signal },
  /** Answered only for its refused signals (the connection writes those; handlers/signals.ts). */
  signals: { schema: RequestSchemas.signals, runs: 'soft', handler: signals as unknown as Handler<'signals'> },
};
