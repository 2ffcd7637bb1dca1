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
  MAX_PASSWORD_LENGTH,
  MAX_HAVE_PIECES,
  MAX_PIECES,
  MAX_SIGNAL_BYTES,
  MAX_SIGNAL_DEPTH,
  MAX_SIGNALS_PER_FRAME,
  MAX_ERROR_MESSAGE_LENGTH,
  MIN_PASSWORD_LENGTH,
  INVITE_MAX_TTL_MS,
  INVITE_MIN_TTL_MS,
  OP_ID_PATTERN,
  MAX_BITFIELD_BASE64_LENGTH,
  CONNECTION_OUTCOMES,
} from './constants.ts';
import { nestingWithin } from './depth.ts';
import { attachSignalData, quickSignalsFrame } from './signals-frame.ts';
import { ErrorCode } from './errors.ts';
import { FileMeta, GroupId, PeerId, Sha1Hex, UserId } from './fields.ts';
import type { ErrorBody } from './replies.ts';

// The shared field rules, where they were always imported from.
export { FileMeta, GroupId, PeerId, Sha1Hex, UserId };

// ---------------------------------------------------------------- fields

/** A request id, unique per session: the client's dedupe key across failover. */
const MAX_REQUEST_ID_LENGTH = 64;
const RequestId = z.string().min(1).max(MAX_REQUEST_ID_LENGTH);
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);
/** A bitfield of pieces held, base64, bit i = piece i, most significant bit first. */
const Bitfield = z.string().max(MAX_BITFIELD_BASE64_LENGTH);
/** A session token, base64url of 32 random bytes. */
const Token = z.string().min(16).max(128);
const InviteToken = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
/** An invite's public id (the id of the op that made it, `origin:seq`): names it for listing and revoking; admits nobody. */
const InviteId = z.string().regex(OP_ID_PATTERN);

// ---------------------------------------------------------------- requests

const req = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ id: RequestId, type: z.literal(type), ...shape });

export const Request = z.discriminatedUnion('type', [
  /** First message: protocol version; the reply names this tracker and its peers. */
  req('hello', {
    protocol: z.number().int(),
    /**
     * A random secret of this client instance, the same on every connection it
     * opens: its request ids are its own (tracker-server/request-ledger.ts), so a retry after
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
  /** Signed in: fresh ICE servers (a new TURN credential), asked again before the last one expires. */
  req('ice_servers', {}),
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
  req('have', { fileId: Sha1Hex, pieces: z.array(z.number().int().min(0).max(MAX_PIECES - 1)).min(1).max(MAX_HAVE_PIECES) }),
  /** I no longer hold or want this file. */
  req('unannounce', { fileId: Sha1Hex }),
  /** Who holds pieces of this file; also subscribes me to `holders_changed` for it. */
  req('get_holders', { fileId: Sha1Hex }),
  /** Relay a WebRTC signal to another peer of a file's group. */
  req('signal', { fileId: Sha1Hex, to: PeerId, data: z.unknown() }),
  /**
   * Relay several signals in one frame (the clients' form since protocol 2).
   * Each is authorised and relayed on its own; none is answered unless it is
   * refused, which is answered `{id: <that signal's id>, ok: false, error}`.
   * A frame that does not parse is answered with the frame's id. Since
   * protocol 3 this is the frame's first line, and each signal's data
   * follows it, `length` characters of JSON each (signals-frame.ts).
   */
  req('signals', {
    signals: z
      .array(z.strictObject({ id: RequestId, fileId: Sha1Hex, to: PeerId, length: z.number().int().min(1).max(MAX_SIGNAL_BYTES) }))
      .min(1)
      .max(MAX_SIGNALS_PER_FRAME),
  }),
  /**
   * How one peer connection I dialled ended: over a direct path, through a
   * relay (TURN), or not at all. No other data: the tracker only counts them
   * (`/metrics`), so an operator sees whether the deployment needs TURN.
   */
  req('connection_outcome', { outcome: z.enum(CONNECTION_OUTCOMES) }),
]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request['type'];
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;
type RequestOption = (typeof Request.options)[number];
/**
 * Each request type's own schema: the very options `Request` is the union
 * of, so the tracker's request table (tracker-server/requests.ts) names what
 * each request parses without a second copy of any rule.
 */
export const RequestSchemas = Object.fromEntries(Request.options.map((o) => [o.shape.type.value, o])) as {
  [T in RequestType]: Extract<RequestOption, { shape: { type: z.ZodLiteral<T> } }>;
};

// ---------------------------------------------------------------- replies and events

// Their schemas live in protocol/replies.ts and protocol/events.ts (zod/mini:
// the client parses them in the browser); re-exported here so both sides
// import the whole vocabulary from one place.
export {
  FileSummary,
  GroupSummary,
  Holder,
  IceServer,
  MembershipStatus,
  ReplySchemas,
  SessionSummary,
  type ErrorBody,
  type Reply,
  type ReplyBodies,
  type ReplyBody,
} from './replies.ts';
export { TrackerEventSchema, type TrackerEvent } from './events.ts';

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
  // One line of JSON, and after it only a `signals` frame's data (signals-frame.ts).
  const nl = raw.indexOf('\n');
  const line = nl < 0 ? raw : raw.slice(0, nl);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const message = nl < 0 ? 'message is not valid JSON' : 'the first line of a message is not valid JSON (send each message as JSON on one line)';
    return { ok: false, id: null, error: { code: ErrorCode.BadJson, message } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, error: { code: ErrorCode.BadJson, message: 'message must be a JSON object' } };
  }
  const obj = value as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length <= MAX_REQUEST_ID_LENGTH ? obj.id : null;
  if (typeof obj.type !== 'string' || !knownTypes.has(obj.type)) {
    // Never String() a client's value: an object's toString may be anything (or not callable at all).
    const named = typeof obj.type === 'string' ? JSON.stringify(obj.type.slice(0, 40)) : `of JSON type ${jsonType(obj.type)}`;
    return { ok: false, id, error: { code: ErrorCode.UnknownType, message: `unknown message type ${named}` } };
  }
  if (nl >= 0 && obj.type !== 'signals') {
    return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message: `${obj.type}: only a signals message carries data after its first line` } };
  }
  // The hot frame is checked by hand (signals-frame.ts); anything it does not accept is zod's to judge and word.
  const quick = obj.type === 'signals' ? quickSignalsFrame(obj) : undefined;
  const result = quick ? { success: true as const, data: quick } : Request.safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'message';
    const message = `${obj.type}: ${where}: ${issue.message}`.slice(0, MAX_ERROR_MESSAGE_LENGTH);
    return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message } };
  }
  if (result.data.type === 'signal') {
    const problem = signalDataProblem(result.data.data, raw.length);
    if (problem) return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message: `signal: ${problem}` } };
  } else if (result.data.type === 'signals') {
    const problem = attachSignalData(result.data.signals, nl < 0 ? '' : raw.slice(nl + 1));
    if (problem) return { ok: false, id, error: { code: ErrorCode.InvalidMessage, message: `signals: ${problem}` } };
  }
  return { ok: true, request: result.data };
}

/** What is wrong with a `signal` request's data (depth, size), or undefined. `frameLength` is the whole frame's. */
function signalDataProblem(data: unknown, frameLength: number): string | undefined {
  // Checked before anything re-serialises it: JSON.stringify of deep data overflows the stack.
  if (!nestingWithin(data, MAX_SIGNAL_DEPTH)) return `data nests deeper than ${MAX_SIGNAL_DEPTH} levels`;
  if (frameLength > SIGNAL_FRAME_FAST_PATH && JSON.stringify(data ?? null).length > MAX_SIGNAL_BYTES) return `data is over ${MAX_SIGNAL_BYTES} bytes`;
  return undefined;
}

/** A value's JSON kind, for messages: never its content. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value; // 'undefined' (missing), 'number', 'boolean', 'object'
}
