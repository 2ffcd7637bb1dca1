/** What a handler gets, and the checks most of them start with. */
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { Op, OpBody } from '../../protocol/ops.ts';
import type { ReplyBody, RequestOf, RequestType } from '../../protocol/tracker.ts';
import type { ClientLink, TrackerCore } from '../core.ts';
import type { LoginLimiter } from '../limits.ts';
import type { FileRecord, GroupRecord } from '../state/model.ts';
import { isMember } from '../state/queries.ts';

export interface HandlerContext {
  core: TrackerCore;
  client: ClientLink;
  logins: LoginLimiter;
  /**
   * The request's dedupe key (request-ledger.ts `requestKey`): set for a
   * request whose descriptor says it makes ops (requests.ts, `runs: 'write'`).
   */
  readonly requestKey: string | undefined;
  /**
   * Makes an op for this request: `core.commit` stamped with `requestKey`,
   * so a retry is answered from it. Refused for a request that makes no op.
   */
  commit(body: OpBody): Promise<{ op: Op; effective: boolean }>;
}

export type Handler<T extends RequestType> = (
  ctx: HandlerContext,
  request: RequestOf<T>,
) => ReplyBody<T> | Promise<ReplyBody<T>>;

export type Session = NonNullable<ClientLink['session']>;

export const fail = (code: ErrorCode, message: string): never => {
  throw new MeshdropError(code, message);
};

export function requireSession(ctx: HandlerContext): Session {
  return ctx.client.session ?? fail(ErrorCode.Unauthenticated, 'log in first');
}

export function requireGroup(ctx: HandlerContext, groupId: string): GroupRecord {
  return ctx.core.state.groups.get(groupId) ?? fail(ErrorCode.NoSuchGroup, `there is no group ${groupId}`);
}

export function requireMember(group: GroupRecord, userId: string): void {
  if (!isMember(group, userId)) fail(ErrorCode.NotMember, `you are not a member of ${group.groupId}`);
}

export function requireOwner(group: GroupRecord, userId: string): void {
  if (group.owner !== userId) fail(ErrorCode.Forbidden, `only the owner of ${group.groupId} can do that`);
}

/**
 * A file and its group, for a member of that group. Anyone else gets the very
 * answer a file id that exists nowhere gets (one code, one message), so a
 * non-member cannot use this to learn whether a file id exists, which group it
 * is in, or when it is removed.
 */
export function requireMemberFile(ctx: HandlerContext, fileId: string, userId: string): { file: FileRecord; group: GroupRecord } {
  const file = ctx.core.state.files.get(fileId);
  const group = file && ctx.core.state.groupsByKey.get(file.groupKey);
  if (!file || !group || !isMember(group, userId)) return fail(ErrorCode.NoSuchFile, NO_SUCH_FILE);
  return { file, group };
}

const NO_SUCH_FILE = 'there is no such file in any group of yours (it may have been removed)';
