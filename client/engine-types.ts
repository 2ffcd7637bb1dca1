/**
 * The transfer engine's public types (client/engine.ts): what it is made
 * with, what share() takes, what downloads() reports and what it emits.
 * Apart, so the engine's file holds its logic; engine.ts re-exports them.
 */
import type { BatchFile } from '../protocol/batch.ts';
import type { Hasher, PeerConnector, PieceSource, PieceStore, StoredFile } from './ports.ts';
import type { PeerInfo } from './swarm.ts';
import type { TrackerClient } from './tracker.ts';

export interface TransferLimits {
  /** Upload cap for the whole client, bytes/s; 0 or Infinity = none. */
  uploadBytesPerSecond: number;
  /** Download cap for the whole client, bytes/s; 0 or Infinity = none. */
  downloadBytesPerSecond: number;
  /** Open peer connections per file; 0 = the default, MAX_PEERS_PER_FILE. */
  maxPeersPerFile: number;
}

export interface EngineOptions {
  /** Connected and logged in before start(), share() or download(). */
  tracker: TrackerClient;
  store: PieceStore;
  hasher: Hasher;
  connector: PeerConnector;
  /**
   * After a reload, re-opens the original of a file shared with keep:
   * 'original' (a FileSystemFileHandle kept in IndexedDB). Undefined when the
   * browser cannot, or permission must be asked first: the file then waits,
   * not served, with needsSource true in its DownloadInfo, until attachSource().
   */
  openSource?: (file: StoredFile) => Promise<PieceSource | undefined>;
  limits?: Partial<TransferLimits>;
  /** Injected for deterministic tests; Math.random by default. */
  random?: () => number;
  /** Injected clock; Date.now by default. */
  now?: () => number;
}

export interface ShareInput {
  /** Reads the file's pieces (PIECE_SIZE each, the last one shorter). */
  source: PieceSource;
  name: string;
  size: number;
  groupId: string;
  /**
   * 'original': keep serving from `source` (and openSource after a reload);
   * 'store': copy every piece into the PieceStore.
   */
  keep: 'original' | 'store';
  /**
   * SHA-1 (lowercase hex) of every piece, computed by the platform where it
   * reads the file (the browser's hashing worker straight from the File; the
   * command line from disk): the engine never hashes a whole file itself.
   */
  pieceHashes: string[];
  /**
   * A batch (a folder, many files): the files whose bytes, one after another,
   * `source` reads as one (protocol/batch.ts); their sizes add up to `size`.
   */
  files?: BatchFile[];
  /** With keep 'store': called after each piece is copied into the store (pieces stored so far, of all). */
  onStored?: (stored: number, total: number) => void;
  /** Aborting before the share is registered stops the copy and removes what it stored; after that it changes nothing. */
  signal?: AbortSignal;
}

export type PieceStatus = 'done' | 'inflight' | 'missing';

export interface DownloadInfo {
  fileId: string;
  name: string;
  size: number;
  groupId: string;
  /** 'complete' files seed; 'paused' ones do nothing. */
  state: StoredFile['state'];
  /** Shared by this client (true) or downloaded (false). */
  shared: boolean;
  /** A shared original that must be re-attached (permission) before it can be served. */
  needsSource: boolean;
  pieceCount: number;
  piecesDone: number;
  bytesDone: number;
  /** 0..1; of the files asked for when only some of a batch's are (`wanted`). */
  progress: number;
  /** Bytes/s over the last seconds, all peers together. */
  downloadSpeed: number;
  uploadSpeed: number;
  /** Bytes received / sent for this file since start (all peers, including dropped ones). */
  downloaded: number;
  uploaded: number;
  /** Connected peers with their counters. */
  peers: PeerInfo[];
  /** Peers dropped for bad pieces (peer id and user). */
  dropped: { peerId: string; userId: string }[];
  /**
   * Holders we dialled and could not connect to, with the reason in plain
   * words (e.g. "could not reach alice: this tracker offers no relay (TURN),
   * and one of the two networks needs one"). A holder leaves the list once a
   * connection to it opens, or it goes away.
   */
  unreachable: { userId: string; reason: string }[];
  /** Downloading, but nobody online has the rest of the file: it resumes by itself when a holder returns. */
  waiting: boolean;
  /** One entry per piece. */
  pieces: PieceStatus[];
  /** A batch's files, in the order their bytes lie in the piece space; absent for a single file. */
  files?: BatchFile[];
  /**
   * A batch fetched in part (one file of it, or several): the paths asked
   * for, their bytes, how many of those are held, and whether all are (then
   * nothing more is fetched until more is asked for; `state` stays
   * 'downloading', 'complete' is the whole batch). Absent: the whole entry.
   */
  wanted?: { paths: string[]; size: number; bytesDone: number; done: boolean };
}

export interface EngineEvents extends Record<string, unknown> {
  /** Something about this file changed (state, progress, peers, pieces): re-render. Throttled per file. */
  changed: { fileId: string };
  complete: { fileId: string };
  /** Every piece of the files asked for is verified (a batch fetched in part); 'complete' still comes once the whole is. */
  satisfied: { fileId: string };
  /** A piece passed its SHA-1 check and is stored (not throttled): a preview or a save-as-it-arrives reads it now. */
  verified: { fileId: string; piece: number };
  /** At start: `pieces` stored after the record's last save (before a crash or a kill) were found, checked and kept. */
  recovered: { fileId: string; pieces: number };
  /** A piece failed its SHA-1 check; it is discarded and fetched again. `peers`: who sent blocks of it. */
  piece_failed: { fileId: string; piece: number; peers: { peerId: string; userId: string }[] };
  /** A peer was dropped for this file after MAX_STRIKES failed pieces. */
  peer_dropped: { fileId: string; peerId: string; userId: string; reason: string };
  /** A peer link ended (or never opened), and why: diagnostics, not an error. */
  peer_closed: { fileId: string; peerId: string; userId: string; reason: string };
  /**
   * The engine paused this download itself, and why, in words for people: a
   * piece could not be stored (a full disk). Resuming tries again.
   */
  stopped: { fileId: string; reason: string };
  /** Something failed that the user should hear about (a hashing failure, a tracker refusal...). */
  error: { fileId: string | undefined; message: string; code?: string };
}
