/**
 * Tracker → client replies: what each request's successful reply carries
 * besides `{id, ok: true}`, and the error reply. The tracker builds replies
 * typed by these (handlers return `ReplyBody<T>`); the client parses every
 * reply with them (client/tracker.ts) instead of trusting its shape, so a
 * malformed one is refused with a clear error rather than read as undefined.
 *
 * zod/mini, not zod: the client parses these in the browser, and the classic
 * build would add most of zod to the web app's bundle.
 *
 * Objects strip keys they do not name, so a newer tracker may add fields
 * without breaking an older client; what the client reads is checked.
 */
import * as z from 'zod/mini';
import { MAX_BITFIELD_BASE64_LENGTH, MAX_TRACKER_NAME_LENGTH } from './constants.ts';
import type { ErrorCode } from './errors.ts';
import { FileMeta, GroupId, PeerId, Sha1Hex, UserId } from './fields.ts';
import type { RequestType } from './tracker.ts';

// ---------------------------------------------------------------- parts

export const MembershipStatus = z.enum(['owner', 'member', 'pending', 'rejected', 'none']);
export type MembershipStatus = z.infer<typeof MembershipStatus>;

export const GroupSummary = z.object({
  groupId: GroupId,
  owner: UserId,
  members: z.int(),
  /** My relation to the group. */
  status: MembershipStatus,
});
export type GroupSummary = z.infer<typeof GroupSummary>;

export const FileSummary = z.object({
  fileId: Sha1Hex,
  groupId: GroupId,
  name: z.string(),
  size: z.number(),
  pieceCount: z.int(),
  sharedBy: UserId,
  /** Milliseconds since the epoch. */
  sharedAt: z.number(),
  /** Peers online now that hold every piece (a holder has the whole file). */
  holdersOnline: z.int(),
  /** Peers online now that hold some pieces but not all (downloading it); absent from trackers before it: none counted apart. */
  partialOnline: z.optional(z.int()),
  /** With nobody holding it online: when the last holder went, if the tracker saw it (ms since the epoch). */
  lastOnlineAt: z.optional(z.number()),
  /** A batch (a folder or many files as one entry): how many files it lists; get_file has the list. Absent for a single file. */
  fileCount: z.optional(z.int()),
});
export type FileSummary = z.infer<typeof FileSummary>;

export const Holder = z.object({
  peerId: PeerId,
  userId: UserId,
  /** base64 bitfield of pieces held. */
  bitfield: z.string().check(z.maxLength(MAX_BITFIELD_BASE64_LENGTH)),
});
export type Holder = z.infer<typeof Holder>;

/** One of my sessions as list_sessions shows it: never its token or token hash. */
export const SessionSummary = z.object({
  /** A short public id derived from the token hash: what revoke_session takes. */
  sessionId: z.string(),
  /** Milliseconds since the epoch. */
  openedAt: z.number(),
  renewedAt: z.number(),
  /** When it stops working unless renewed (used) before; never after openedAt + the absolute lifetime. */
  expiresAt: z.number(),
  /** The session of the connection that asked. */
  current: z.boolean(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});
export type IceServer = z.infer<typeof IceServer>;

const Empty = z.object({});

/**
 * What a signed-in connection uses for WebRTC: hello's servers plus TURN with
 * a credential minted for this user (tracker-server/turn-credentials.ts), and
 * when to ask `ice_servers` again (before that credential expires). Optional
 * in login/resume so a client still reads a tracker from before TURN.
 */
const SignedInIce = {
  iceServers: z.optional(z.array(IceServer)),
  iceRefreshMs: z.optional(z.int().check(z.minimum(1000))),
};

// ---------------------------------------------------------------- replies

/** Each request's successful reply body, by request type. */
export const ReplySchemas = {
  hello: z.object({
    /** This tracker's name (the `origin` of its ops). */
    trackerId: z.string(),
    /** The name its operator gave it (`--name`), shown to people; absent from trackers before it. */
    name: z.optional(z.string().check(z.maxLength(MAX_TRACKER_NAME_LENGTH))),
    /** This connection's presence id, used as `to`/`from` in signals. */
    peerId: PeerId,
    /** Public WebSocket URLs of every tracker in the mesh, for failover. */
    trackers: z.array(z.string()),
    /** ICE servers for WebRTC; empty by default (host candidates only). */
    iceServers: z.array(IceServer),
    /** The web app's public address (from --public-url), for the links people hand on; absent: the page's origin. */
    appUrl: z.optional(z.string()),
  }),
  ping: Empty,
  create_user: z.object({ userId: UserId }),
  login: z.object({ userId: UserId, token: z.string(), ...SignedInIce }),
  resume: z.object({ userId: UserId, ...SignedInIce }),
  logout: Empty,
  ice_servers: z.object({ iceServers: z.array(IceServer), iceRefreshMs: z.int().check(z.minimum(1000)) }),
  list_sessions: z.object({ sessions: z.array(SessionSummary) }),
  revoke_session: Empty,
  logout_all: Empty,
  create_group: z.object({ groupId: GroupId }),
  join_group: z.object({ groupId: GroupId, status: MembershipStatus }),
  leave_group: z.object({ groupId: GroupId }),
  list_requests: z.object({ requests: z.array(z.object({ userId: UserId, requestedAt: z.number() })) }),
  accept_request: Empty,
  reject_request: Empty,
  list_groups: z.object({ groups: z.array(GroupSummary) }),
  list_members: z.object({ members: z.array(z.object({ userId: UserId, role: z.enum(['owner', 'member']), since: z.number() })) }),
  create_invite: z.object({ token: z.string(), expiresAt: z.number() }),
  list_invites: z.object({
    invites: z.array(z.object({ inviteId: z.string(), createdBy: UserId, createdAt: z.number(), expiresAt: z.number() })),
  }),
  revoke_invite: Empty,
  remove_member: Empty,
  upload_file: z.object({ fileId: Sha1Hex }),
  list_files: z.object({ files: z.array(FileSummary) }),
  get_file: z.object({ file: z.extend(FileSummary, { meta: FileMeta }) }),
  stop_share: Empty,
  announce: Empty,
  have: Empty,
  unannounce: Empty,
  get_holders: z.object({ holders: z.array(Holder) }),
  signal: Empty,
  /** Never sent: a `signals` frame is answered only for a signal refused, with that signal's error. */
  signals: Empty,
  connection_outcome: Empty,
} satisfies Record<RequestType, z.ZodMiniType>;

/** What each request's successful reply carries besides `{id, ok: true}`. */
export type ReplyBodies = { [T in RequestType]: z.infer<(typeof ReplySchemas)[T]> };
export type ReplyBody<T extends RequestType> = ReplyBodies[T];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
export type Reply =
  | ({ id: string; ok: true } & Record<string, unknown>)
  | { id: string | null; ok: false; error: ErrorBody };

/**
 * Any reply as the client first reads it: its id, and either `ok: true`
 * (the body is parsed by the request's own schema) or an error. The code is
 * any string: one this client does not know (a newer tracker's) still
 * arrives, with its message.
 */
export const ReplyEnvelope = z.union([
  z.object({ id: z.string(), ok: z.literal(true) }),
  z.object({ id: z.nullable(z.string()), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

// ---------------------------------------------------------------- parsing

/** "path: problem" of a failed parse's first issue: what a log line or an error shows. */
export function describeIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed';
  return `${issue.path.length ? issue.path.join('.') : 'message'}: ${issue.message}`;
}

/**
 * A successful reply's body, checked against its request's schema, or what
 * is wrong with it. `message` is the whole reply (`id` and `ok` included,
 * which the schemas strip). Never throws.
 */
export function parseReplyBody<T extends RequestType>(
  type: T,
  message: unknown,
): { ok: true; body: ReplyBodies[T] } | { ok: false; problem: string } {
  const r = ReplySchemas[type].safeParse(message);
  return r.success ? { ok: true, body: r.data as ReplyBodies[T] } : { ok: false, problem: describeIssue(r.error) };
}
