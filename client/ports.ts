/**
 * What the client core needs from its platform, as small interfaces. The
 * browser fills them with WebSocket, IndexedDB, a hashing worker and
 * RTCPeerConnection; Node tests with `ws`, files and node-datachannel.
 */
import type { Bitfield } from '../protocol/bitfield.ts';
import type { PresenceId } from '../protocol/ids.ts';
import type { SignalEnvelope } from '../protocol/signal.ts';
import type { IceServer } from '../protocol/tracker.ts';

/** The subset of the WebSocket API the tracker connection uses (browser WebSocket and `ws` both fit). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;

// ---------------------------------------------------------------- storage

/** What a client keeps about one file it shares or downloads, beside the pieces. */
export interface StoredFile {
  fileId: string;
  /** The full metadata from the tracker (piece hashes included). */
  meta: import('../protocol/tracker.ts').FileMeta;
  /** Verified pieces held, as Bitfield bytes (see protocol/bitfield.ts). */
  have: Uint8Array;
  /** 'downloading' until every piece is verified; 'paused' by the user; 'complete' after. */
  state: 'downloading' | 'paused' | 'complete';
  /** Where the bytes live: pieces in the store, or the sharer's original file (see PieceSource). */
  source: 'store' | 'original';
  /**
   * A batch fetched in part: the paths of its files asked for so far (only
   * ever widened; client/wanted.ts). Absent: the whole entry.
   */
  wanted?: string[];
  /** Shared from this client, or downloaded to it (optional: records written before it existed lack it). */
  origin?: 'shared' | 'downloaded';
  addedAt: number;
}

/**
 * Durable storage of verified pieces and per-file records. Browser:
 * IndexedDB through idb-keyval, pieces as Blobs. Node tests: memory or files.
 * Every implementation must pass tests/helpers/piece-store-contract.ts.
 */
export interface PieceStore {
  listFiles(): Promise<StoredFile[]>;
  getFile(fileId: string): Promise<StoredFile | undefined>;
  /** Creates or replaces the record (the `have` bitfield is saved with it). */
  putFile(file: StoredFile): Promise<void>;
  /**
   * Stores one verified piece. The store keeps a copy: once the promise
   * settles the caller may overwrite `data` (the swarm assembles its next
   * piece in the same buffer, client/buffer-pool.ts).
   */
  putPiece(fileId: string, index: number, data: Uint8Array): Promise<void>;
  getPiece(fileId: string, index: number): Promise<Uint8Array | undefined>;
  /**
   * Optional: which pieces of the file the store holds, whatever its record
   * says. A store that can tell cheaply (an index, not a read of every
   * piece) lets the engine save a download's progress once a second instead
   * of once per piece: after a crash the engine finds the pieces stored
   * since the last save here, checks them against their hashes and keeps
   * them, so none is fetched again (client/recover-stored.ts).
   */
  storedPieces?(fileId: string, count: number): Promise<number[]>;
  /** Removes the record and every piece, freeing the space. */
  deleteFile(fileId: string): Promise<void>;
}

/**
 * Reads pieces of a file the user shared from its original (a File, or a
 * FileSystemFileHandle re-opened after a reload), so sharing a 2 GiB file
 * does not copy it into IndexedDB.
 */
export interface PieceSource {
  readPiece(index: number): Promise<Uint8Array>;
  /**
   * Optional: `count` consecutive pieces from `first` on in one read (fewer
   * at the end of the file), for a sharer serving a downloader's run
   * (client/served-pieces.ts). Rejects as readPiece does.
   */
  readPieces?(first: number, count: number): Promise<Uint8Array[]>;
  /**
   * True when a read returns exactly the bytes the source had when it was
   * made, or fails: a browser's File or Blob snapshot (the File API's
   * snapshot state: a file changed on disk since fails with
   * NotReadableError). Pieces served from it are not hashed again
   * (client/served-pieces.ts); a file on disk that can change under us
   * (the command line's) leaves it unset and each served piece is checked.
   */
  readonly unchanging?: boolean;
}

// ---------------------------------------------------------------- hashing

/** SHA-1 of pieces. Browser: a Web Worker with WebCrypto, @noble/hashes where crypto.subtle is missing. */
export interface Hasher {
  /** Lowercase hex SHA-1 of the bytes. Keeps no hold on `data` once the promise settles (the caller reuses it). */
  sha1(data: Uint8Array): Promise<string>;
}

// ---------------------------------------------------------------- peers

/**
 * One direct connection to another peer: a reliable, ordered message channel
 * (a WebRTC data channel through simple-peer in the browser, an in-memory
 * pair in fast tests). Messages are whole binary frames (protocol/wire.ts).
 */
export interface PeerChannel {
  /**
   * Queues one frame. The channel copies the bytes before it returns (as
   * RTCDataChannel.send does): the caller may reuse the buffer at once
   * (PeerLink encodes every block it serves into one buffer).
   */
  send(frame: Uint8Array): void;
  /** Bytes queued and not yet sent: senders wait while it is high (backpressure). */
  readonly bufferedAmount: number;
  /**
   * Resolves when bufferedAmount has fallen below the low-water mark
   * (SEND_LOW_WATER_BYTES in protocol/constants.ts), and also once the channel
   * has closed, so a sender waiting on it never hangs.
   */
  drained(): Promise<void>;
  onFrame: ((frame: Uint8Array) => void) | null;
  onClose: (() => void) | null;
  close(): void;
  /**
   * The network path of the open connection, from its selected ICE candidate
   * pair (client/connection-path.ts): undefined while not known. Absent where
   * the platform cannot tell (in-memory channels).
   */
  path?(): Promise<'direct' | 'relayed' | undefined>;
}

/**
 * Makes peer channels; signals (offer/answer/candidates) travel through the
 * tracker. `initiator` is the side that dials (the one who learned of the other).
 */
export interface PeerConnector {
  connect(options: {
    initiator: boolean;
    iceServers: IceServer[];
    /** Called with each local signal to send to the other side via the tracker. */
    sendSignal: (data: unknown) => void;
  }): {
    /** Feed a signal received from the other side. */
    signal(data: unknown): void;
    /** Resolves with the open channel, rejects if the connection fails. */
    channel: Promise<PeerChannel>;
    destroy(): void;
  };
}

// ---------------------------------------------------------------- the tracker, as a swarm sees it

/**
 * What one file's swarm (client/swarm.ts) needs from the tracker connection,
 * and no more. The engine fills it from its TrackerClient
 * (client/tracker-port.ts); unit tests fill it in memory
 * (tests/helpers/memory-tracker.ts), so swarm behaviour can be tested
 * without a tracker. Incoming signals and holder changes reach the swarm as
 * SwarmTrackerEvents, routed to it by file id.
 */
export interface SwarmTracker {
  /** Our presence id on the current tracker connection; undefined while not connected. */
  readonly peerId: PresenceId | undefined;
  /** ICE servers for new peer connections (from the tracker's hello). */
  readonly iceServers: IceServer[];
  /** We hold these pieces of the file. The Bitfield object is kept and re-announced, as it is then, after a reconnection. */
  announce(fileId: string, have: Bitfield): Promise<void>;
  /** New pieces of an announced file (already set in its Bitfield). */
  have(fileId: string, pieces: number[]): Promise<void>;
  /** Who holds pieces of the file now; also subscribes us to its `holders_changed` events. */
  holders(fileId: string): Promise<SwarmHolder[]>;
  /** Relays an envelope to a peer of the file's group; rejects if the tracker refuses (not a member, offline). */
  signal(fileId: string, to: PresenceId, envelope: SignalEnvelope): Promise<void>;
  /** How a connection we dialled ended (`connection_outcome`); fire and forget. Absent: nobody counts. */
  reportOutcome?(outcome: 'direct' | 'relayed' | 'failed'): void;
}

export interface SwarmHolder {
  peerId: PresenceId;
  userId: string;
  /** base64 Bitfield of the pieces it holds. */
  bitfield: string;
}

/** The tracker events a swarm acts on. */
export type SwarmTrackerEvent =
  /** A holder came, updated, or went (bitfield null). */
  | { event: 'holders_changed'; fileId: string; peerId: PresenceId; userId: string; bitfield: string | null }
  /** A SignalEnvelope (unparsed: whoever sent it may lie) from another peer. */
  | { event: 'signal'; fileId: string; from: PresenceId; fromUser: string; data: unknown };
