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
   * Does not affect the state.
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
  | { kind: 'session_opened'; userId: string; userKey: string; tokenHash: string }
  | { kind: 'session_revoked'; tokenHash: string }
  | ({ kind: 'group_created'; groupId: string } & Actor)
  | ({ kind: 'join_requested'; groupKey: string } & Actor)
  | ({ kind: 'request_accepted'; groupKey: string; userId: string } & Actor)
  | ({ kind: 'request_rejected'; groupKey: string; userId: string } & Actor)
  | ({ kind: 'member_left'; groupKey: string } & Actor)
  | ({ kind: 'invite_created'; groupKey: string; tokenHash: string; expiresAt: number } & Actor)
  | ({ kind: 'invite_used'; groupKey: string; tokenHash: string } & Actor)
  | ({ kind: 'file_shared'; groupKey: string; fileId: string; meta: FileMeta } & Actor)
  | ({ kind: 'share_stopped'; groupKey: string; fileId: string } & Actor);

export type Op = OpHeader & OpBody;
export type OpKind = OpBody['kind'];

/** `origin:seq`: an op's identity, and the key of what a creating op creates. */
export const opId = (op: OpHeader): string => `${op.origin}:${op.seq}`;

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
