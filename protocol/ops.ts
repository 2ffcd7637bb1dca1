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
import { z } from 'zod';
import { OP_ID_PATTERN, SESSION_LIFETIME_MAX_MS, SESSION_LIFETIME_MIN_MS, TRACKER_ID_PATTERN } from './constants.ts';
import { FileMeta, GroupId, Sha1Hex, UserId } from './tracker.ts';

/**
 * The one definition of ops: protocol/mesh.ts parses them with `OpSchema`
 * (links, NATS), and `Op` and its parts are inferred from it, so a kind or
 * field cannot be typed one way and validated another.
 */

/** A tracker's name (its ops' origin): the same rule as `--tracker-id`. */
export const TrackerId = z.string().regex(TRACKER_ID_PATTERN);
/** The key of a user or group: an op id `origin:seq`, or `r:` + a request key (`creationKey`). */
const OpKey = z.string().regex(new RegExp(`^(?:${OP_ID_PATTERN.source.slice(1, -1)}|r:[A-Za-z0-9_-]{22})$`));
/** Hex or base64url digests of tokens. */
const TokenHash = z.string().min(16).max(128);
const Hex = z.string().regex(/^[0-9a-f]{1,256}$/);
/** A session lifetime in ms, within what config.ts allows. */
const Lifetime = z.number().int().min(SESSION_LIFETIME_MIN_MS).max(SESSION_LIFETIME_MAX_MS);

const header = {
  /** The tracker that accepted the op. */
  origin: TrackerId,
  /** 1, 2, 3… per origin, without gaps. */
  seq: z.number().int().positive(),
  /** Hybrid logical clock: max(wall ms × 1000, last seen + 1). Orders ops across trackers. */
  hlc: z.number().int().nonnegative(),
  /**
   * The id of the client request that made the op, if any: a retry of that
   * request on any tracker is answered from this op, never applied again.
   * It is a hash of (the client instance's secret, its request id), so only
   * that client is (tracker-server/mesh/dedupe.ts). The key of a user or
   * group created by the op is derived from it (`creationKey`).
   */
  rid: z.string().min(1).max(200).optional(),
};
/** Who did it: a user id and the key of the account that held the name. */
const actor = { by: UserId, byKey: OpKey };
const op = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S) =>
  z.strictObject({ ...header, kind: z.literal(kind), ...shape });

export const OpSchema = z.discriminatedUnion('kind', [
  op('user_created', { userId: UserId, salt: Hex, hash: z.string().min(1).max(512) }),
  op('session_opened', {
    userId: UserId,
    userKey: OpKey,
    tokenHash: TokenHash,
    /** Lifetimes the opening tracker was configured with: every tracker judges the session by these (absent in old logs: the defaults). */
    idleMs: Lifetime.optional(),
    maxMs: Lifetime.optional(),
  }),
  op('session_revoked', { tokenHash: TokenHash }),
  /** The session was used: its idle lifetime starts again from this op's hlc (inert if it had expired by then). */
  op('session_renewed', { tokenHash: TokenHash }),
  /** Sign out everywhere: every session of the account opened before this op ends. */
  op('user_sessions_revoked', { userId: UserId, userKey: OpKey }),
  op('group_created', { groupId: GroupId, ...actor }),
  op('join_requested', { groupKey: OpKey, ...actor }),
  op('request_accepted', { groupKey: OpKey, userId: UserId, ...actor }),
  op('request_rejected', { groupKey: OpKey, userId: UserId, ...actor }),
  op('member_left', { groupKey: OpKey, ...actor }),
  op('invite_created', { groupKey: OpKey, tokenHash: TokenHash, expiresAt: z.number().int(), ...actor }),
  op('invite_used', { groupKey: OpKey, tokenHash: TokenHash, ...actor }),
  op('file_shared', { groupKey: OpKey, fileId: Sha1Hex, meta: FileMeta, ...actor }),
  op('share_stopped', { groupKey: OpKey, fileId: Sha1Hex, ...actor }),
  /** The owner withdrew an invite: its link admits nobody from then on. */
  op('invite_revoked', { groupKey: OpKey, tokenHash: TokenHash, ...actor }),
  /** The owner removed a member: out at once, and barred from invites made before. */
  op('member_removed', { groupKey: OpKey, userId: UserId, ...actor }),
]);

export type Op = z.infer<typeof OpSchema>;
export type OpKind = Op['kind'];
/** What every op carries: who accepted it, its number, its clock, its request. */
export type OpHeader = z.infer<z.ZodObject<typeof header>>;
/** Who did it (ops that a user made). */
export type Actor = z.infer<z.ZodObject<typeof actor>>;
/** An op before a tracker stamps it: its kind and fields, per kind. */
export type OpBody = Op extends infer O ? (O extends Op ? Omit<O, keyof OpHeader> : never) : never;

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
