/**
 * Tracker ⇄ tracker messages. Two transports carry them:
 *
 * - built-in links (JSON over WebSocket at /mesh): first the shared-secret
 *   handshake (`challenge` → `auth` → `welcome`), then `sync`, `ops`,
 *   `presence`, `signal`;
 * - NATS: ops as JetStream messages (one op each), presence, heartbeats and
 *   signals on plain subjects, with the same payload schemas.
 *
 * Every frame is parsed here before the mesh acts on it: an op from another
 * tracker is as untrusted in shape as a client's request.
 */
import { z } from 'zod';
import { MAX_BITFIELD_BASE64_LENGTH, MAX_PIECES, MAX_SIGNAL_BYTES } from './constants.ts';
import { OpSchema, TrackerId, type Op } from './ops.ts';
import { PeerId, Sha1Hex, UserId } from './tracker.ts';

/**
 * Bumped when a tracker could misread another's messages; links with another
 * version are refused. 2: keys `r:…` of users and groups created for a request.
 * 3: a relayed signal carries its data as the sender's JSON text.
 */
export const MESH_PROTOCOL_VERSION = 3;

export { TrackerId };

/** Parses one op (a NATS message's payload); throws a ZodError on anything else. */
export const parseOp = (value: unknown): Op => OpSchema.parse(value);

// ---------------------------------------------------------------- presence and signals

/** One holding of a peer connected to the sending tracker; `bitfield: null` means it is gone. */
export const HoldingMessage = z.strictObject({
  peerId: PeerId,
  userId: UserId,
  fileId: Sha1Hex,
  /** Piece count, so the receiver can rebuild the bitfield before it knows the file. */
  pieces: z.number().int().min(0).max(MAX_PIECES),
  bitfield: z.string().max(MAX_BITFIELD_BASE64_LENGTH).nullable(),
});
export type HoldingMessage = z.infer<typeof HoldingMessage>;

export const PresenceMessage = z.strictObject({
  type: z.literal('presence'),
  /** true: this is everything the sender's peers hold; forget what it said before. */
  reset: z.boolean(),
  holdings: z.array(HoldingMessage).max(100_000),
});
export type PresenceMessage = z.infer<typeof PresenceMessage>;

/**
 * A signal for a peer of the receiving tracker: for which file, from whom,
 * and the sender's data as the JSON text it sent, relayed as it is (the
 * client checks it, as on one tracker: protocol/signals-frame.ts).
 */
export const SignalMessage = z.strictObject({
  type: z.literal('signal'),
  to: PeerId,
  signal: z.strictObject({
    fileId: Sha1Hex,
    from: PeerId,
    fromUser: UserId,
    data: z.string().min(1).max(MAX_SIGNAL_BYTES),
  }),
});
export type SignalMessage = z.infer<typeof SignalMessage>;

// ---------------------------------------------------------------- links

const Nonce = z.string().regex(/^[0-9a-f]{64}$/);
const Proof = z.string().regex(/^[0-9a-f]{64}$/);
const Urls = z.array(z.string().max(512)).max(64);
export const VersionVectorSchema = z.record(TrackerId, z.number().int().nonnegative());

/** Acceptor → dialer, first: a fresh nonce. Says nothing about the acceptor until the dialer has proved itself. */
export const Challenge = z.strictObject({ type: z.literal('challenge'), version: z.number().int(), nonce: Nonce });
/** Dialer → acceptor: HMAC(secret, "dial", challenge nonce, own nonce, trackerId). */
export const Auth = z.strictObject({ type: z.literal('auth'), trackerId: TrackerId, nonce: Nonce, proof: Proof });
/** Acceptor → dialer: its own proof over the dialer's nonce, so the dialer knows it too holds the secret. */
export const Welcome = z.strictObject({ type: z.literal('welcome'), trackerId: TrackerId, proof: Proof });

/** "Here is what I have (origin → last seq), and the URLs clients reach me at": the peer answers with what I lack. */
export const Sync = z.strictObject({ type: z.literal('sync'), vv: VersionVectorSchema, urls: Urls });
/** Ops, in order per origin. */
export const OpsMessage = z.strictObject({ type: z.literal('ops'), ops: z.array(OpSchema).max(100_000) });

export const LinkMessage = z.union([Challenge, Auth, Welcome, Sync, OpsMessage, PresenceMessage, SignalMessage]);
export type LinkMessage = z.infer<typeof LinkMessage>;

/** What a link reads before the other side has proved it holds the secret: the handshake, nothing else. */
export const HandshakeMessage = z.union([Challenge, Auth, Welcome]);
export type HandshakeMessage = z.infer<typeof HandshakeMessage>;

/** Parses a link frame; returns undefined for anything malformed (the link then closes). Never throws. */
export function parseLinkMessage(raw: string): LinkMessage | undefined {
  return safeParseJson(LinkMessage, raw);
}

/**
 * Parses a frame of a link still in its handshake: only challenge, auth or
 * welcome, so an unauthenticated peer never reaches the schemas (and the
 * work) of ops, presence or signals. Never throws.
 */
export function parseHandshakeMessage(raw: string): HandshakeMessage | undefined {
  return safeParseJson(HandshakeMessage, raw);
}

/**
 * Parses a NATS payload (already JSON-decoded, or undefined when it was not
 * JSON) with one of this file's schemas; undefined for anything else. Never
 * throws, whatever the payload's shape or depth: a NATS callback that threw
 * would stop the subscription.
 */
export function safeParseValue<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  try {
    const r = schema.safeParse(value);
    return r.success ? r.data : undefined;
  } catch {
    // A refinement that failed on a shape we did not foresee: malformed, like any other.
    return undefined;
  }
}

function safeParseJson<T>(schema: z.ZodType<T>, raw: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return safeParseValue(schema, value);
}

// ---------------------------------------------------------------- NATS

/** A tracker's heartbeat on NATS: it is alive, and where clients reach it. */
export const Heartbeat = z.strictObject({ type: z.literal('heartbeat'), trackerId: TrackerId, urls: Urls });
/** Presence on NATS carries its sender, since a subject has no peer. */
export const NatsPresence = z.strictObject({ from: TrackerId, message: PresenceMessage });

/** Subjects and stream name. Ops live in one stream, one subject per origin, so "my last op" is one lookup. */
export const NATS = {
  stream: 'MESHDROP_OPS',
  opsSubject: (origin: string) => `meshdrop.ops.${origin}`,
  opsWildcard: 'meshdrop.ops.>',
  presence: 'meshdrop.presence',
  heartbeat: 'meshdrop.heartbeat',
  signal: (trackerId: string) => `meshdrop.signal.${trackerId}`,
} as const;

/** NATS headers of a signed message (with `--secret`): its HMAC, and for soft state the sending time (ms). */
export const NATS_MAC_HEADER = 'Meshdrop-Mac';
export const NATS_AT_HEADER = 'Meshdrop-At';

// ---------------------------------------------------------------- numbers

/**
 * Largest link frame a tracker reads. A catch-up batch is cut at
 * MESH_BATCH_BYTES, but one op can be a 700 KB file_shared (16k piece hashes),
 * so a batch may reach about 1 MB + 700 KB; 8 MiB leaves room and still stops
 * a peer from making us buffer without bound.
 */
export const MESH_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/**
 * Largest frame a link reads before the other side has proved itself: the
 * handshake's frames are about 200 bytes. A stranger dialling /mesh can make
 * a tracker buffer this much per socket, not MESH_MAX_FRAME_BYTES.
 */
export const MESH_HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;
/**
 * Sockets on /mesh still in their handshake, and in all. A mesh is a handful
 * of trackers, each with one or two links to this one; more is someone else.
 */
export const MESH_MAX_PENDING_LINKS = 16;
export const MESH_MAX_ACCEPTED_LINKS = 64;
/** Catch-up is streamed in frames of about this size: big enough to amortise fsync, small enough to interleave. */
export const MESH_BATCH_BYTES = 1024 * 1024;
/** A link proves itself within this, or is closed: no half-open sockets holding a slot. */
export const MESH_AUTH_TIMEOUT_MS = 5_000;
/**
 * Redial backoff: from 100 ms, doubling, at most 2 s, so a tracker that
 * comes back is linked again within about 2 s (and a dead one costs one
 * connection attempt per 2 s).
 */
export const MESH_RECONNECT_MIN_MS = 100;
export const MESH_RECONNECT_MAX_MS = 2_000;
/** Link liveness: a ws ping this often; no pong by the next one and the link is cut. */
export const MESH_PING_MS = 5_000;
/**
 * NATS heartbeats: one a second; a tracker silent for 3.5 s is taken as gone
 * and its peers' presence dropped (presence is soft state; the ops are not
 * affected).
 */
export const NATS_HEARTBEAT_MS = 1_000;
export const NATS_TRACKER_TIMEOUT_MS = 3_500;
/**
 * An op that arrives ahead of its predecessor (from another path of the mesh)
 * waits this long for it before the tracker asks its links for a fresh sync.
 */
export const MESH_GAP_WAIT_MS = 1_000;
/**
 * A signed heartbeat, presence or signal older (or newer) than this is
 * refused: it bounds how long a captured message can be replayed, and is wide
 * enough for trackers whose clocks disagree by a few minutes.
 */
export const NATS_MAC_MAX_AGE_MS = 5 * 60_000;
