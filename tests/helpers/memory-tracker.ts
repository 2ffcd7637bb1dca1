/**
 * The swarm's tracker port (SwarmTracker, client/ports.ts) in memory, for
 * unit tests that drive swarms directly: no tracker, no engine, no sockets.
 * The manner of automerge-repo's synchronizer tests: several peers in one
 * process, each a real Swarm, joined by an in-memory hub.
 *
 * The hub keeps what a tracker's presence keeps (who holds which pieces of
 * which file, who watches a file) and relays signals, asynchronously like a
 * socket. It knows nothing of accounts or groups: every peer may signal every
 * other. Peer channels come from MemoryNetwork (memory-platform.ts), whose
 * two ends meet only through the signals relayed here.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Bitfield } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { fileIdOf, pieceCountOf } from '../../protocol/files.ts';
import { asInstanceId, asPresenceId, type InstanceId, type PresenceId } from '../../protocol/ids.ts';
import type { SignalEnvelope } from '../../protocol/signal.ts';
import type { FileMeta, IceServer } from '../../protocol/tracker.ts';
import type { Hasher, PieceSource, SwarmHolder, SwarmTracker, SwarmTrackerEvent } from '../../client/ports.ts';
import { TokenBucket } from '../../client/rate.ts';
import { UploadTurns } from '../../client/upload-turns.ts';
import { Swarm, type SwarmEvents } from '../../client/swarm.ts';
import { MemoryNetwork, MemoryPieceStore, nodeHasher } from './memory-platform.ts';

/** A hub and a network for one test, the network's channels closed at teardown. */
export function memorySwarmWorld(t: { after: (fn: () => void) => void }): { hub: MemoryTrackerHub; network: MemoryNetwork } {
  const hub = new MemoryTrackerHub();
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  return { hub, network };
}

export class MemoryTrackerHub {
  readonly peers = new Map<PresenceId, HubPeer>();
  /** Every signal relayed, for tests that count them. */
  signals: { from: PresenceId; to: PresenceId; envelope: SignalEnvelope }[] = [];

  /** A peer comes online with a presence id (random, as a tracker's are, unless given). */
  join(userId: string, peerId: string = randomBytes(12).toString('base64url')): HubPeer {
    const peer = new HubPeer(this, asPresenceId(peerId), userId);
    this.peers.set(peer.peerId, peer);
    return peer;
  }

  /** Tells a file's watchers (not the holder itself) of a holding that changed or went. */
  notify(fileId: string, holder: HubPeer, bitfield: string | null): void {
    for (const peer of this.peers.values()) {
      if (peer !== holder && peer.watching.has(fileId)) {
        peer.deliver({ event: 'holders_changed', fileId, peerId: holder.peerId, userId: holder.userId, bitfield });
      }
    }
  }
}

export class HubPeer implements SwarmTracker {
  /** What the swarm dials with: a test may add a TURN entry. */
  iceServers: IceServer[] = [];
  /** Every connection_outcome the swarm reported, in order. */
  readonly outcomes: ('direct' | 'relayed' | 'failed')[] = [];
  readonly announced = new Map<string, Bitfield>();
  readonly watching = new Set<string>();
  /** Where this peer's events go: set it to the swarm's onTrackerEvent. */
  onEvent: ((e: SwarmTrackerEvent) => void) | undefined;
  #online = true;

  constructor(
    readonly hub: MemoryTrackerHub,
    readonly peerId: PresenceId,
    readonly userId: string,
  ) {}

  async announce(fileId: string, have: Bitfield): Promise<void> {
    this.#check();
    this.announced.set(fileId, have);
    this.hub.notify(fileId, this, have.toBase64());
  }

  async have(fileId: string, pieces: number[]): Promise<void> {
    this.#check();
    const have = this.announced.get(fileId);
    if (!have || pieces.length === 0) return;
    this.hub.notify(fileId, this, have.toBase64());
  }

  async holders(fileId: string): Promise<SwarmHolder[]> {
    this.#check();
    this.watching.add(fileId);
    const out: SwarmHolder[] = [];
    for (const peer of this.hub.peers.values()) {
      const have = peer.announced.get(fileId);
      if (peer !== this && have) out.push({ peerId: peer.peerId, userId: peer.userId, bitfield: have.toBase64() });
    }
    return out;
  }

  async signal(fileId: string, to: PresenceId, envelope: SignalEnvelope): Promise<void> {
    this.#check();
    const target = this.hub.peers.get(to);
    if (!target) throw new MeshdropError(ErrorCode.PeerOffline, 'that peer is not online');
    this.hub.signals.push({ from: this.peerId, to, envelope });
    target.deliver({ event: 'signal', fileId, from: this.peerId, fromUser: this.userId, data: structuredClone(envelope) });
  }

  reportOutcome(outcome: 'direct' | 'relayed' | 'failed'): void {
    this.outcomes.push(outcome);
  }

  /** An event pushed to this peer, delivered on a later turn (as from a socket). */
  deliver(e: SwarmTrackerEvent): void {
    setImmediate(() => this.#online && this.onEvent?.(e));
  }

  /** Goes offline: its holdings go (watchers hear it), signals to it fail. */
  leave(): void {
    if (!this.#online) return;
    this.#online = false;
    this.hub.peers.delete(this.peerId);
    for (const fileId of this.announced.keys()) this.hub.notify(fileId, this, null);
    this.announced.clear();
    this.watching.clear();
  }

  #check(): void {
    if (!this.#online) throw new MeshdropError(ErrorCode.Disconnected, 'offline');
  }
}

// ---------------------------------------------------------------- files and swarms

export interface MemoryFile {
  fileId: string;
  meta: FileMeta;
  bytes: Uint8Array;
}

/** Random bytes as a shared file: metadata with the true piece hashes. */
export function memoryFile(size: number, name = 'f.bin'): MemoryFile {
  const bytes = new Uint8Array(randomBytes(size));
  const pieceHashes: string[] = [];
  for (let i = 0; i < pieceCountOf(size, PIECE_SIZE); i++) {
    pieceHashes.push(createHash('sha1').update(bytes.subarray(i * PIECE_SIZE, (i + 1) * PIECE_SIZE)).digest('hex'));
  }
  const meta: FileMeta = { groupId: 'team', name, size, pieceSize: PIECE_SIZE, pieceHashes };
  return { fileId: fileIdOf(meta), meta, bytes };
}

export interface SwarmPeer {
  swarm: Swarm;
  port: HubPeer;
  store: MemoryPieceStore;
  have: Bitfield;
  instanceId: InstanceId;
  /** Every event the swarm emitted, by name, in order. */
  events: { [K in keyof SwarmEvents]: SwarmEvents[K][] };
  /** The swarm stops and the peer goes offline. */
  leave(): void;
}

export interface SwarmPeerOptions {
  /** Holds the whole file from the start (pieces in its store, unless `source`). */
  seed?: boolean;
  /** Holds these pieces from the start (in its store). */
  pieces?: number[];
  store?: MemoryPieceStore;
  /** The SHA-1 it checks pieces with (default: node:crypto's). */
  hasher?: Hasher;
  /** Serve from this original instead of the store (a sharer's file). */
  source?: PieceSource;
  uploadBytesPerSecond?: number;
  downloadBytesPerSecond?: number;
  maxPeersPerFile?: number;
  instanceId?: string;
  presenceId?: string;
  /** A link not ready by then is closed (the swarm's default: CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Start the swarm at once (announce, and fetch if incomplete). Default true. */
  start?: boolean;
}

/** A real Swarm over the hub and a MemoryNetwork, closed at teardown. */
export async function swarmPeer(
  t: Pick<TestContext, 'after'>,
  hub: MemoryTrackerHub,
  network: MemoryNetwork,
  userId: string,
  file: MemoryFile,
  options: SwarmPeerOptions = {},
): Promise<SwarmPeer> {
  const port = hub.join(userId, options.presenceId);
  const store = options.store ?? new MemoryPieceStore();
  const count = file.meta.pieceHashes.length;
  const have = new Bitfield(count);
  if (options.seed) {
    for (let i = 0; i < count; i++) {
      have.set(i);
      if (!options.source) await store.putPiece(file.fileId, i, file.bytes.slice(i * PIECE_SIZE, (i + 1) * PIECE_SIZE));
    }
    store.writes = [];
  }
  for (const i of options.pieces ?? []) {
    have.set(i);
    await store.putPiece(file.fileId, i, file.bytes.slice(i * PIECE_SIZE, (i + 1) * PIECE_SIZE));
    store.writes = [];
  }
  const instanceId = asInstanceId(options.instanceId ?? randomBytes(16).toString('hex'));
  const upload = new TokenBucket(options.uploadBytesPerSecond ?? Infinity, Date.now);
  const swarm = new Swarm({
    fileId: file.fileId,
    meta: file.meta,
    have,
    instanceId,
    tracker: port,
    connector: network.connector(),
    hasher: options.hasher ?? nodeHasher,
    store,
    source: options.source,
    limits: {
      upload,
      uploadTurns: new UploadTurns(upload),
      download: new TokenBucket(options.downloadBytesPerSecond ?? Infinity, Date.now),
      maxPeersPerFile: options.maxPeersPerFile,
    },
    random: Math.random,
    now: Date.now,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  const names = ['verified', 'complete', 'changed', 'piece_failed', 'peer_dropped', 'peer_closed', 'error'] as const;
  const events = Object.fromEntries(names.map((n) => [n, []])) as unknown as SwarmPeer['events'];
  for (const n of names) swarm.on(n, (e) => (events[n] as unknown[]).push(e));
  port.onEvent = (e) => swarm.onTrackerEvent(e);
  const leave = () => {
    swarm.close();
    port.leave();
  };
  t.after(leave);
  if (options.start !== false) await swarm.start();
  return { swarm, port, store, have, instanceId, events, leave };
}

/** The file as a peer's store holds it, piece by piece. */
export async function storedBytes(peer: SwarmPeer, file: MemoryFile): Promise<Uint8Array> {
  const out = new Uint8Array(file.meta.size);
  for (let i = 0; i < file.meta.pieceHashes.length; i++) {
    const piece = await peer.store.getPiece(file.fileId, i);
    if (!piece) throw new Error(`piece ${i} is missing`);
    out.set(piece, i * PIECE_SIZE);
  }
  return out;
}

/** Resolves when the swarm has every piece (it emits `complete`); rejects after `timeoutMs`, so a test fails rather than hangs. */
export function whenComplete(peer: SwarmPeer, timeoutMs = 10_000): Promise<void> {
  if (peer.swarm.complete && peer.events.complete.length > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${peer.port.userId} did not complete in ${timeoutMs} ms: ${peer.have.count()} of ${peer.have.length} pieces`));
    }, timeoutMs);
    const off = peer.swarm.on('complete', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
