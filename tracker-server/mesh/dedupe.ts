/**
 * Request-id dedupe across failover.
 *
 * A client re-sends a request that was in flight when its tracker went away,
 * with the same id, possibly to another tracker. The op a request made
 * carries `rid` = the request id (random per client, counted per request),
 * and ops replicate, so every tracker that has the op knows the
 * request was applied and answers the retry from the op instead of applying
 * it again. The id alone is the key: a client retries a login before it has
 * a session and a group creation after resuming one, so the session cannot be
 * part of it. A replay is given only to the same actor (the op's user must be
 * the requester), so guessing another client's id yields nothing. A retry that reaches the same tracker while the first attempt is
 * still running waits for that attempt and gets its real reply.
 *
 * A reply that carried a fresh secret (a login's session token, an invite
 * token) cannot be rebuilt from the op, which keeps only its hash: such a
 * retry fails with `disconnected` (the code for "the reply was lost with
 * the connection"), and the person logs in again.
 *
 * The window left open: a tracker killed after fsync but before the op left
 * it (a few microseconds of publish) can see the retry applied elsewhere
 * too; when it returns, the merge rules settle the pair (first writer wins).
 */
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { Op } from '../../protocol/ops.ts';
import type { Request } from '../../protocol/tracker.ts';
import type { State } from '../state/model.ts';
import { statusIn } from '../state/queries.ts';


export class RequestLedger {
  /** rid → the first op made under it. */
  #applied = new Map<string, Op>();
  #inFlight = new Map<string, Promise<object>>();

  record(ops: Iterable<Op>): void {
    for (const op of ops) if (op.rid !== undefined && !this.#applied.has(op.rid)) this.#applied.set(op.rid, op);
  }

  get size(): number {
    return this.#applied.size;
  }

  /**
   * Runs `run` unless the request was already applied (answers from its op)
   * or is running here (shares that attempt's reply). `run` must stamp its
   * ops with `rid`.
   */
  handle(request: Request, userId: string | undefined, state: () => State, run: () => object | Promise<object>): object | Promise<object> {
    const rid = request.id;
    const running = this.#inFlight.get(rid);
    if (running) return running;
    const done = this.#applied.get(rid);
    if (done) return replayReply(request, done, state(), userId);
    const result = run();
    if (!(result instanceof Promise)) return result;
    this.#inFlight.set(rid, result);
    const forget = () => this.#inFlight.delete(rid);
    result.then(forget, forget);
    return result;
  }
}

/** The reply the first attempt gave (or would give now), rebuilt from its op. */
export function replayReply(request: Request, op: Op, state: State, userId: string | undefined): object {
  const mismatch = (): never => {
    throw new MeshdropError(ErrorCode.InvalidMessage, `request id ${request.id} was already used for another request`);
  };
  // Only the one who made it gets its reply again.
  if ('by' in op && op.by !== userId) return mismatch();
  const lost = (what: string): never => {
    throw new MeshdropError(ErrorCode.Disconnected, `this ${what} was done, but its reply was lost with the connection; do it again`);
  };
  switch (request.type) {
    case 'create_user':
      return op.kind === 'user_created' && op.userId === request.userId ? { userId: op.userId } : mismatch();
    case 'login':
      return op.kind === 'session_opened' && op.userId === request.userId ? lost('log-in') : mismatch();
    case 'logout':
      return op.kind === 'session_revoked' ? {} : mismatch();
    case 'create_group':
      return op.kind === 'group_created' && op.groupId === request.groupId ? { groupId: op.groupId } : mismatch();
    case 'join_group': {
      if (op.kind !== 'join_requested' && op.kind !== 'invite_used') return mismatch();
      const group = state.groupsByKey.get(op.groupKey);
      return { groupId: request.groupId, status: group ? statusIn(group, op.by) : 'none' };
    }
    case 'leave_group':
      return op.kind === 'member_left' ? { groupId: request.groupId } : mismatch();
    case 'accept_request':
      return op.kind === 'request_accepted' ? {} : mismatch();
    case 'reject_request':
      return op.kind === 'request_rejected' ? {} : mismatch();
    case 'create_invite':
      return op.kind === 'invite_created' ? lost('invite') : mismatch();
    case 'upload_file':
      return op.kind === 'file_shared' && op.fileId === request.fileId ? { fileId: op.fileId } : mismatch();
    case 'stop_share':
      return op.kind === 'share_stopped' && op.fileId === request.fileId ? {} : mismatch();
    default:
      return mismatch();
  }
}
