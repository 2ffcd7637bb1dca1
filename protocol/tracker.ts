/**
 * Client ⇄ tracker messages: JSON over WebSocket at /ws.
 *
 * - The client's first message is `hello` (protocol version).
 * - Every request `{id, type, …}` gets exactly one reply:
 *   `{id, ok: true, …}` or `{id, ok: false, error: {code, message}}`.
 * - The tracker also pushes events `{event, …}` (no id).
 *
 * Schemas are zod; types are inferred from them, so a field cannot be
 * documented, validated and typed three different ways. The tracker parses
 * every incoming frame with `parseRequest` before a handler sees it.
 */
import { z } from 'zod';
import {
  MAX_FILE_BYTES,
  MAX_FILE_NAME_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_PIECES,
  MAX_SIGNAL_BYTES,
  MAX_SIGNAL_DEPTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MIN_PASSWORD_LENGTH,
  NAME_PATTERN,
  PIECE_SIZE,
  INVITE_MAX_TTL_MS,
  INVITE_MIN_TTL_MS,
  MAX_BITFIELD_BASE64_LENGTH,
} from './constants.ts';
import { nestingWithin } from './depth.ts';
import { ErrorCode } from './errors.ts';

// ---------------------------------------------------------------- fields

/** A request id, unique per session: the client's dedupe key across failover. */
const RequestId = z.string().min(1).max(64);
/** A user id, chosen at sign-up. */
export const UserId = z.string().regex(NAME_PATTERN, 'letters, digits, . _ - (1–32, starting with a letter or digit)');
/** A group id, chosen at creation. */
export const GroupId = UserId;
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);
/** SHA-1 in lowercase hex: file ids and piece hashes. */
export const Sha1Hex = z.string().regex(/^[0-9a-f]{40}$/, '40 lowercase hex digits');
/** A per-connection presence id, handed out in the hello reply. */
export const PeerId = z.string().regex(/^[A-Za-z0-9_-]{8,32}$/);
/** A bitfield of pieces held, base64, bit i = piece i, most significant bit first. */
const Bitfield = z.string().max(MAX_BITFIELD_BASE64_LENGTH);
/** A session token, base64url of 32 random bytes. */
const Token = z.string().min(16).max(128);
const InviteToken = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
/** An invite's public id (the id of the op that made it, `origin:seq`): names it for listing and revoking; admits nobody. */
const InviteId = z.string().regex(/^[A-Za-z0-9_-]{1,32}:\d{1,16}$/);

// ---------------------------------------------------------------- requests

const req = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ id: RequestId, type: z.literal(type), ...shape });

/** Metadata of a shared file; its id is the SHA-1 of `canonicalFileMeta`. */
export const FileMeta = z.strictObject({
  /** The group the file is shared into. */
  groupId: GroupId,
  /** The file's name as the sharer's browser reports it. */
  name: z.string().min(1).max(MAX_FILE_NAME_LENGTH),
  /** Size in bytes. */
  size: z.number().int().min(1).max(MAX_FILE_BYTES),
  /** Always PIECE_SIZE today; carried so the id covers it. */
  pieceSize: z.literal(PIECE_SIZE),
  /** SHA-1 of each piece, in order. */
  pieceHashes: z.array(Sha1Hex).min(1).max(MAX_PIECES),
});
export type FileMeta = z.infer<typeof FileMeta>;

export const Request = z.discriminatedUnion('type', [
  /** First message: protocol version; the reply names this tracker and its peers. */
  req('hello', {
    protocol: z.number().int(),
    /**
     * A random secret of this client instance, the same on every connection it
     * opens: its request ids are its own (mesh/dedupe.ts), so a retry after
     * failover is recognised and nobody else's same id is.
     */
    client: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/).optional(),
  }),
  /** Are you there? Answered at once, with nothing; the client's liveness check. */
  req('ping', {}),
  /** Register an account. Does not log in. */
  req('create_user', { userId: UserId, password: Password }),
  /** Log in: the reply carries a session token. */
  req('login', { userId: UserId, password: z.string().max(MAX_PASSWORD_LENGTH) }),
  /** Resume a session with its token (after a reload or a tracker failover). */
  req('resume', { token: Token }),
  /** End this session everywhere: its token stops working. */
  req('logout', {}),
  /** My live sessions (browsers, devices): when opened, last renewed, which is this one. */
  req('list_sessions', {}),
  /** End one of my sessions, by the id list_sessions shows. */
  req('revoke_session', { sessionId: z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits') }),
  /** Sign out everywhere: every session of mine ends, this one included. */
  req('logout_all', {}),
  /** Create a group; the creator is its owner. */
  req('create_group', { groupId: GroupId }),
  /** Ask to join a group; the owner decides. With an invite token, join at once. */
  req('join_group', { groupId: GroupId, invite: InviteToken.optional() }),
  /** Leave a group (or withdraw a pending request). */
  req('leave_group', { groupId: GroupId }),
  /** Pending join requests of a group: owner only. */
  req('list_requests', { groupId: GroupId }),
  req('accept_request', { groupId: GroupId, userId: UserId }),
  req('reject_request', { groupId: GroupId, userId: UserId }),
  /** Every group, with my status in each. */
  req('list_groups', {}),
  /** Members of a group: members only. */
  req('list_members', { groupId: GroupId }),
  /** Owner: make a link that admits without approval until it expires. */
  req('create_invite', { groupId: GroupId, ttlMs: z.number().int().min(INVITE_MIN_TTL_MS).max(INVITE_MAX_TTL_MS).optional() }),
  /** Owner: the group's invites that still stand (ids, never tokens). */
  req('list_invites', { groupId: GroupId }),
  /** Owner: withdraw an invite; its link admits nobody from then on. */
  req('revoke_invite', { groupId: GroupId, inviteId: InviteId }),
  /** Owner: remove a member; they lose the group's files at once, and invites made before cannot bring them back. */
  req('remove_member', { groupId: GroupId, userId: UserId }),
  /** Register a file in a group: metadata only, never content. */
  req('upload_file', { fileId: Sha1Hex, meta: FileMeta }),
  /** The files of a group: members only. */
  req('list_files', { groupId: GroupId }),
  /** One file's full metadata (piece hashes included): members only. */
  req('get_file', { fileId: Sha1Hex }),
  /** Remove a file from its group: its sharer or the group's owner. */
  req('stop_share', { fileId: Sha1Hex }),
  /** I hold these pieces of a file (full bitfield); soft state, gone with the connection. */
  req('announce', { fileId: Sha1Hex, bitfield: Bitfield }),
  /** I gained these pieces since my last announce. */
  req('have', { fileId: Sha1Hex, pieces: z.array(z.number().int().min(0).max(MAX_PIECES - 1)).min(1).max(1024) }),
  /** I no longer hold or want this file. */
  req('unannounce', { fileId: Sha1Hex }),
  /** Who holds pieces of this file; also subscribes me to `holders_changed` for it. */
  req('get_holders', { fileId: Sha1Hex }),
  /** Relay a WebRTC signal to another peer of a file's group. */
  req('signal', { fileId: Sha1Hex, to: PeerId, data: z.unknown() }),
]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request['type'];
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

// ---------------------------------------------------------------- replies

export const MembershipStatus = z.enum(['owner', 'member', 'pending', 'rejected', 'none']);
export type MembershipStatus = z.infer<typeof MembershipStatus>;

export const GroupSummary = z.object({
  groupId: GroupId,
  owner: UserId,
  members: z.number().int(),
  /** My relation to the group. */
  status: MembershipStatus,
});
export type GroupSummary = z.infer<typeof GroupSummary>;

export const FileSummary = z.object({
  fileId: Sha1Hex,
  groupId: GroupId,
  name: z.string(),
  size: z.number(),
  pieceCount: z.number().int(),
  sharedBy: UserId,
  /** Milliseconds since the epoch. */
  sharedAt: z.number(),
  /** Peers online now that hold at least one piece. */
  holdersOnline: z.number().int(),
});
export type FileSummary = z.infer<typeof FileSummary>;

export const Holder = z.object({
  peerId: PeerId,
  userId: UserId,
  /** base64 bitfield of pieces held. */
  bitfield: z.string(),
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
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** What each request's successful reply carries besides `{id, ok: true}`. */
export interface ReplyBodies {
  hello: {
    /** This tracker's name (the `origin` of its ops). */
    trackerId: string;
    /** This connection's presence id, used as `to`/`from` in signals. */
    peerId: string;
    /** Public WebSocket URLs of every tracker in the mesh, for failover. */
    trackers: string[];
    /** ICE servers for WebRTC; empty by default (host candidates only). */
    iceServers: IceServer[];
  };
  ping: Record<string, never>;
  create_user: { userId: string };
  login: { userId: string; token: string };
  resume: { userId: string };
  logout: Record<string, never>;
  list_sessions: { sessions: SessionSummary[] };
  revoke_session: Record<string, never>;
  logout_all: Record<string, never>;
  create_group: { groupId: string };
  join_group: { groupId: string; status: MembershipStatus };
  leave_group: { groupId: string };
  list_requests: { requests: { userId: string; requestedAt: number }[] };
  accept_request: Record<string, never>;
  reject_request: Record<string, never>;
  list_groups: { groups: GroupSummary[] };
  list_members: { members: { userId: string; role: 'owner' | 'member'; since: number }[] };
  create_invite: { token: string; expiresAt: number };
  list_invites: { invites: { inviteId: string; createdBy: string; createdAt: number; expiresAt: number }[] };
  revoke_invite: Record<string, never>;
  remove_member: Record<string, never>;
  upload_file: { fileId: string };
  list_files: { files: FileSummary[] };
  get_file: { file: FileSummary & { meta: FileMeta } };
  stop_share: Record<string, never>;
  announce: Record<string, never>;
  have: Record<string, never>;
  unannounce: Record<string, never>;
  get_holders: { holders: Holder[] };
  signal: Record<string, never>;
}
export type ReplyBody<T extends RequestType> = ReplyBodies[T];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
export type Reply =
  | ({ id: string; ok: true } & Record<string, unknown>)
  | { id: string | null; ok: false; error: ErrorBody };

// ---------------------------------------------------------------- events

/** Pushed by the tracker to whom it concerns. */
export type TrackerEvent =
  /** To a group's owner: someone asked to join. */
  | { event: 'join_requested'; groupId: string; userId: string }
  /** To the requester: the owner answered. */
  | { event: 'request_answered'; groupId: string; accepted: boolean }
  /** To members: a member joined, left or was removed, or ownership moved (the one who left or was removed hears it too). */
  | { event: 'members_changed'; groupId: string }
  /** To members: a file was shared into one of my groups. */
  | { event: 'file_shared'; file: FileSummary }
  /** To members: a file was removed from a group. */
  | { event: 'file_stopped'; groupId: string; fileId: string }
  /** To watchers of a file (those who asked get_holders): a holder came, updated, or went (bitfield null). */
  | { event: 'holders_changed'; fileId: string; peerId: string; userId: string; bitfield: string | null }
  /** A WebRTC signal from another peer. */
  | { event: 'signal'; fileId: string; from: string; fromUser: string; data: unknown }
  /** This session no longer works (logged out elsewhere, or the account lost its name to an earlier sign-up on another tracker). */
  | { event: 'session_revoked'; reason: string };

// ---------------------------------------------------------------- parsing

export type Parsed =
  | { ok: true; request: Request }
  | { ok: false; id: string | null; error: ErrorBody };

const knownTypes = new Set<string>(Request.options.map((o) => o.shape.type.value));

/**
 * A frame this short cannot carry a signal whose `data` re-serialises to over
 * MAX_SIGNAL_BYTES, so the re-serialisation (the rule's measure) is skipped:
 * `data` is part of the frame, and JSON.stringify of a parsed value is never
 * longer than its source text, except for numbers written in exponent form
 * ("1e20", 4 characters, becomes 21: 21/4 times longer) and a lone surrogate
 * (1 character, becomes the 6 of "\ud800"). Whitespace, escapes and
 * duplicate keys only shrink it. Longer frames are measured as
 * before; almost every real signal (ICE candidates, most SDP) is shorter.
 */
const SIGNAL_FRAME_FAST_PATH = Math.floor(MAX_SIGNAL_BYTES / 6);

/**
 * The one place a raw frame becomes a typed request. Never throws: anything
 * wrong comes back as an error body naming the problem, with the request id
 * when one could be read, so the client can match the error to its request.
 */
export function parseRequest(raw: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, id: null, error: { code: ErrorCode.BadJson, message: 'message is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, error: { code: ErrorCode.BadJson, message: 'message must be a JSON object' } };
  }
  const obj = value as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length <= 64 ? obj.id : null;
  if (typeof obj.type !== 'string' || !knownTypes.has(obj.type)) {
    // Never String() a client's value: an object's toString may be anything (or not callable at all).
    const named = typeof obj.type === 'string' ? JSON.stringify(obj.type.slice(0, 40)) : `of JSON type ${jsonType(obj.type)}`;
    return { ok: false, id, error: { code: ErrorCode.UnknownType, message: `unknown message type ${named}` } };
  }
  const result = Request.safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'message';
    const message = `${obj.type}: ${where}: ${issue.message}`.slice(0, MAX_ERROR_MESSAGE_LENGTH);
    return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message } };
  }
  if (result.data.type === 'signal') {
    // Checked before anything re-serialises it: JSON.stringify of deep data overflows the stack.
    if (!nestingWithin(result.data.data, MAX_SIGNAL_DEPTH)) {
      return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message: `signal: data nests deeper than ${MAX_SIGNAL_DEPTH} levels` } };
    }
    if (raw.length > SIGNAL_FRAME_FAST_PATH && JSON.stringify(result.data.data ?? null).length > MAX_SIGNAL_BYTES) {
      return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message: `signal: data is over ${MAX_SIGNAL_BYTES} bytes` } };
    }
  }
  return { ok: true, request: result.data };
}

/** A value's JSON kind, for messages: never its content. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value; // 'undefined' (missing), 'number', 'boolean', 'object'
}
