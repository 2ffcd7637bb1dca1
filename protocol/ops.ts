/**
 * The replicated facts. Every durable change is an op: accepted by one tracker
 * (`origin`), numbered by it (`seq`), and stamped with a hybrid logical clock
 * (`hlc`). State is a function of the *set* of ops: trackers fold them in the
 * total order (hlc, origin), so any two that saw the same ops agree.
 *
 * Users and groups are referred to by *key* (the id of the op that created
 * them, `origin:seq`), not only by name: if two trackers hand out the same name
 * concurrently, the earlier creation wins the name and every op made under the
 * losing key becomes inert, so a loser can never act as, or share into, the
 * winner's account or group.
 */
import type { FileMeta } from './tracker.ts';

export interface OpHeader {
  /** The tracker that accepted the op. */
  origin: string;
  /** 1, 2, 3… per origin, without gaps. */
  seq: number;
  /** Hybrid logical clock: max(wall ms × 1000, last seen + 1). Orders ops across trackers. */
  hlc: number;
  /**
   * The id of the client request that made the op, if any: a retry of that
   * request on any tracker is answered from this op, never applied again.
   * It is a hash of (the client instance's secret, its request id), so only
   * that client is (tracker-server/mesh/dedupe.ts). The key of a user or
   * group created by the op is derived from it (`creationKey`).
   */
  rid?: string;
}

/** Who did it: a user id and the key of the account that held the name. */
export interface Actor {
  by: string;
  byKey: string;
}

export type OpBody =
  | { kind: 'user_created'; userId: string; salt: string; hash: string }
  | {
      kind: 'session_opened';
      userId: string;
      userKey: string;
      tokenHash: string;
      /** Lifetimes the opening tracker was configured with: every tracker judges the session by these (absent in old logs: the defaults). */
      idleMs?: number;
      maxMs?: number;
    }
  | { kind: 'session_revoked'; tokenHash: string }
  /** The session was used: its idle lifetime starts again from this op's hlc (inert if it had expired by then). */
  | { kind: 'session_renewed'; tokenHash: string }
  /** Sign out everywhere: every session of the account opened before this op ends. */
  | { kind: 'user_sessions_revoked'; userId: string; userKey: string }
  | ({ kind: 'group_created'; groupId: string } & Actor)
  | ({ kind: 'join_requested'; groupKey: string } & Actor)
  | ({ kind: 'request_accepted'; groupKey: string; userId: string } & Actor)
  | ({ kind: 'request_rejected'; groupKey: string; userId: string } & Actor)
  | ({ kind: 'member_left'; groupKey: string } & Actor)
  | ({ kind: 'invite_created'; groupKey: string; tokenHash: string; expiresAt: number } & Actor)
  | ({ kind: 'invite_used'; groupKey: string; tokenHash: string } & Actor)
  | ({ kind: 'file_shared'; groupKey: string; fileId: string; meta: FileMeta } & Actor)
  | ({ kind: 'share_stopped'; groupKey: string; fileId: string } & Actor)
  /** The owner withdrew an invite: its link admits nobody from then on. */
  | ({ kind: 'invite_revoked'; groupKey: string; tokenHash: string } & Actor)
  /** The owner removed a member: out at once, and barred from invites made before. */
  | ({ kind: 'member_removed'; groupKey: string; userId: string } & Actor);

export type Op = OpHeader & OpBody;
export type OpKind = OpBody['kind'];

/** `origin:seq`: an op's identity, and the key of what a creating op creates. */
export const opId = (op: OpHeader): string => `${op.origin}:${op.seq}`;

/**
 * The key of the user or group a creating op creates. An op made for a
 * client request is keyed by the request (its `rid`, `r:…`), so the same
 * request applied on two trackers (a retry after failover that reached one
 * which had not seen the first attempt) creates one account or group, not
 * two rivals for the name: whatever the client did under either copy counts.
 * Ops made without a request (none today, and ops from before request keys)
 * keep their own id.
 */
export const creationKey = (op: OpHeader): string => (op.rid?.startsWith(REQUEST_KEY_PREFIX) ? op.rid : opId(op));

/**
 * Marks a `rid` that is a request key (a hash, see mesh/dedupe.ts), and so
 * also the key of what the op creates. Ops logged before request keys carry
 * the client's raw id (`ab12cd34-5`) and keep `origin:seq`: their sessions
 * and memberships name those keys.
 */
export const REQUEST_KEY_PREFIX = 'r:';

/** The total order every tracker folds ops in. */
export function compareOps(a: OpHeader, b: OpHeader): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.seq - b.seq;
}

/** Per origin, the highest seq applied: what a tracker has, for catch-up. */
export type VersionVector = Record<string, number>;

/** Milliseconds since the epoch that an hlc stands for. */
export const hlcToMs = (hlc: number): number => Math.floor(hlc / 1000);
