/**
 * The swarm's public types (client/swarm.ts): what it is made with, what it
 * reports and what it emits. Apart, so the swarm's file holds its logic.
 */
import type { Bitfield } from '../protocol/bitfield.ts';
import type { InstanceId } from '../protocol/ids.ts';
import type { FileMeta } from '../protocol/tracker.ts';
import type { Hasher, PeerConnector, PieceSource, PieceStore, SwarmTracker } from './ports.ts';
import type { TokenBucket } from './rate.ts';
import type { UploadTurns } from './upload-turns.ts';

/** Shared by every swarm of one client: the caps are per client, not per file. */
export interface SwarmLimits {
  upload: TokenBucket;
  /** Turns under `upload`, shared as it is: the block whose request came first goes next. */
  uploadTurns: UploadTurns;
  download: TokenBucket;
  /** Undefined: MAX_PEERS_PER_FILE. */
  maxPeersPerFile?: number | undefined;
}

export interface SwarmOptions {
  fileId: string;
  meta: FileMeta;
  /** Verified pieces; the swarm sets bits in it as pieces verify (the engine and the TrackerClient share it). */
  have: Bitfield;
  /** Random hex id of this client instance (PEER_ID_BYTES), sent in handshakes. */
  instanceId: InstanceId;
  tracker: SwarmTracker;
  connector: PeerConnector;
  hasher: Hasher;
  store: PieceStore;
  /** The sharer's original; pieces come from the store when absent. */
  source?: PieceSource | undefined;
  limits: SwarmLimits;
  random: () => number;
  now: () => number;
  /** Fetch only these pieces (one file of a batch, client/wanted.ts); undefined: every piece. */
  wanted?: Bitfield | undefined;
  /** A link that is not ready by then is closed. Undefined: CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number | undefined;
}

/** One peer as the UI shows it. Peers stay listed after they leave, with their totals. */
export interface PeerInfo {
  peerId: string;
  userId: string;
  connected: boolean;
  /** Bytes received from / sent to this peer for this file. */
  downloaded: number;
  uploaded: number;
  /** Bytes/s over the last seconds. */
  downloadSpeed: number;
  uploadSpeed: number;
  /** Pieces the peer holds (as far as we know). */
  pieces: number;
  strikes: number;
  /** How the connection goes: from the selected ICE candidate pair; undefined until known (or where the platform cannot tell). */
  path?: 'direct' | 'relayed';
}

export interface SwarmStats {
  peers: PeerInfo[];
  dropped: { peerId: string; userId: string }[];
  /** Holders we dialled and could not connect to, each with the reason in plain words (client/connection-path.ts). */
  unreachable: { userId: string; reason: string }[];
  downloaded: number;
  uploaded: number;
  downloadSpeed: number;
  uploadSpeed: number;
}

export interface SwarmEvents extends Record<string, unknown> {
  verified: { piece: number };
  complete: Record<string, never>;
  /** Every wanted piece is verified, the file is not complete (one file of a batch): nothing more is fetched until the set widens. */
  satisfied: Record<string, never>;
  /** Counters or peers changed. */
  changed: Record<string, never>;
  piece_failed: { piece: number; peers: { peerId: string; userId: string }[] };
  peer_dropped: { peerId: string; userId: string; reason: string };
  /** A peer link ended (or never opened), and why: for diagnostics. */
  peer_closed: { peerId: string; userId: string; reason: string };
  /** A verified piece could not be stored (a full disk): it is fetched again, unless the owner of the swarm stops it. */
  store_failed: { piece: number; message: string };
  error: { message: string; code?: string };
}
