/**
 * One file's swarm: its peer links, what they hold, and the blocks moving
 * between us and them.
 *
 * - Connect: a downloader dials the holders the tracker names (get_holders,
 *   then holders_changed); anyone accepts a peer that dials it, up to the
 *   per-file cap. Signals travel through the tracker, wrapped in an envelope
 *   naming the connection, so both ends of a simultaneous dial agree which
 *   connection survives.
 * - Handshake: file id (must be the file the connection was signalled for,
 *   or the link is closed), our instance id, our bitfield.
 * - Serve: requests queue per peer (bounded), blocks go out only while the
 *   channel's bufferedAmount is under the high-water mark and the upload
 *   bucket has tokens.
 * - Fetch: the Picker chooses blocks; each peer's pipeline follows its
 *   measured rate; a whole piece is SHA-1-checked before it is stored. A bad
 *   piece is discarded and every peer that sent blocks of it gets a strike;
 *   MAX_STRIKES and it is dropped for this file.
 * - Every verified piece: a have frame to every peer, a (batched) `have` to
 *   the tracker, and it is served from then on.
 */
import { Bitfield, base64ToBytes } from '../protocol/bitfield.ts';
import {
  CONNECT_TIMEOUT_MS,
  MAX_PEERS_PER_FILE,
  MAX_QUEUED_REQUESTS,
  MAX_STRIKES,
  SEND_HIGH_WATER_BYTES,
} from '../protocol/constants.ts';
import { asConnId, asInstanceId, type ConnId, type InstanceId, type PresenceId } from '../protocol/ids.ts';
import type { FileMeta } from '../protocol/tracker.ts';
import { decodeFrame, encodeFrame, type BlockRef, type Frame } from '../protocol/wire.ts';
import { parseSignalEnvelope, type SignalEnvelope } from '../protocol/signal.ts';
import { Emitter } from './emitter.ts';
import { Picker, pipelineDepth } from './picker.ts';
import type { Hasher, PeerChannel, PeerConnector, PieceSource, PieceStore, SwarmTracker, SwarmTrackerEvent } from './ports.ts';
import { RateMeter, type TokenBucket } from './rate.ts';

/** Shared by every swarm of one client: the caps are per client, not per file. */
export interface SwarmLimits {
  upload: TokenBucket;
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
}

export interface SwarmStats {
  peers: PeerInfo[];
  dropped: { peerId: string; userId: string }[];
  downloaded: number;
  uploaded: number;
  downloadSpeed: number;
  uploadSpeed: number;
}

export interface SwarmEvents extends Record<string, unknown> {
  verified: { piece: number };
  complete: Record<string, never>;
  /** Counters or peers changed. */
  changed: Record<string, never>;
  piece_failed: { piece: number; peers: { peerId: string; userId: string }[] };
  peer_dropped: { peerId: string; userId: string; reason: string };
  /** A peer link ended (or never opened), and why: for diagnostics. */
  peer_closed: { peerId: string; userId: string; reason: string };
  error: { message: string; code?: string };
}

/** Counts swarms made in this runtime: see Swarm's #serial. */
let swarmSerial = 0;

/** Housekeeping period: request timeouts, connect timeouts, retries. */
const TICK_MS = 500;
/** A holder we failed to reach is tried again after this. */
const REDIAL_MS = 5_000;
/** Closed connection ids remembered: plenty for the signals still in flight when a link ends. */
const CLOSED_CONNS_KEPT = 256;
/** Pieces kept in memory for serving, so consecutive block requests of one piece read it once. */
const SERVE_CACHE_PIECES = 4;

interface Totals {
  peerId: PresenceId;
  userId: string;
  down: RateMeter;
  up: RateMeter;
  strikes: number;
}

interface Link {
  conn: ConnId;
  /** The tracker's presence id of the peer (changes when it reconnects to a tracker). */
  peerId: PresenceId;
  userId: string;
  initiator: boolean;
  handle: ReturnType<PeerConnector['connect']>;
  channel: PeerChannel | undefined;
  /** Their instance id, from their handshake. */
  instance: InstanceId | undefined;
  bits: Bitfield | undefined;
  totals: Totals | undefined;
  openedAt: number;
  serveQueue: BlockRef[];
  serving: boolean;
  closed: boolean;
}

export class Swarm extends Emitter<SwarmEvents> {
  readonly fileId: string;
  readonly #o: SwarmOptions;
  readonly #picker: Picker<ConnId>;
  readonly #pieceCount: number;
  /** By connection id. */
  #links = new Map<ConnId, Link>();
  /** Per peer instance (or peer id before a handshake), kept after they leave. */
  #totals = new Map<InstanceId, Totals>();
  /**
   * Peers dropped for bad pieces, by both kinds of id, kept apart (a
   * presence id may read like an instance id: both are short strings):
   * presence ids are not dialled and their signals are ignored; an instance
   * id is refused at the handshake, whatever presence id it comes under.
   */
  #bannedPresences = new Set<PresenceId>();
  #bannedInstances = new Set<InstanceId>();
  /**
   * Links that completed a handshake, by connection id: who sent what. A link
   * that closed stays while an unfinished piece holds blocks it sent (the
   * blame is shared if that piece fails), and goes after.
   */
  #handshaken = new Map<ConnId, Link>();
  /** Recently closed connection ids, so their stragglers are ignored. */
  #closedConns = new Set<ConnId>();
  #dropped: { peerId: PresenceId; userId: string }[] = [];
  /** Holders known from the tracker: peer id → user, bitfield. */
  #holders = new Map<PresenceId, { userId: string; hasPieces: boolean; lastDial: number }>();
  #buffers = new Map<number, Uint8Array>();
  #serveCache = new Map<number, Promise<Uint8Array | undefined>>();
  #down: RateMeter;
  #up: RateMeter;
  #pendingHave: number[] = [];
  #sendingHave = false;
  #tick: ReturnType<typeof setInterval> | undefined;
  #fillTimer: ReturnType<typeof setTimeout> | undefined;
  #sleepers = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  #nextConn = 0;
  /**
   * Distinguishes this swarm's connection ids from those of an earlier swarm
   * of the same file in this engine (download, remove, download again): the
   * other side remembers closed ids and ignores their late signals.
   */
  readonly #serial = ++swarmSerial;
  #closed = false;
  #completeEmitted = false;
  #originalChanged = false;

  constructor(options: SwarmOptions) {
    super();
    this.#o = options;
    this.fileId = options.fileId;
    this.#pieceCount = options.meta.pieceHashes.length;
    this.#picker = new Picker<ConnId>(options.have, { fileSize: options.meta.size, pieceSize: options.meta.pieceSize, random: options.random });
    this.#down = new RateMeter(options.now);
    this.#up = new RateMeter(options.now);
  }

  get complete(): boolean {
    return this.#o.have.isComplete();
  }

  /** Announces the file to the tracker and, if incomplete, starts fetching. */
  async start(): Promise<void> {
    this.#tick = setInterval(() => this.#housekeeping(), TICK_MS);
    // The TrackerClient keeps this very Bitfield and re-announces it (as it is then) after a failover.
    await this.#o.tracker.announce(this.fileId, this.#o.have);
    if (!this.complete) await this.refreshHolders();
    else this.#emitComplete();
  }

  /** Asks the tracker who holds pieces (and to tell us of changes), and dials them. After every tracker (re)connection. */
  async refreshHolders(): Promise<void> {
    if (this.#closed || this.complete) return;
    try {
      const holders = await this.#o.tracker.holders(this.fileId);
      if (this.#closed) return;
      for (const h of holders) this.#noteHolder(h.peerId, h.userId, h.bitfield);
      this.#dialHolders();
    } catch (err) {
      this.emit('error', { message: `could not find peers: ${(err as Error).message}`, code: (err as { code?: string }).code });
    }
  }

  /** Tracker events for this file: signals and holder changes. */
  onTrackerEvent(e: SwarmTrackerEvent): void {
    if (this.#closed) return;
    try {
      if (e.event === 'holders_changed' && e.fileId === this.fileId) {
        if (e.bitfield === null) this.#holders.delete(e.peerId);
        else {
          this.#noteHolder(e.peerId, e.userId, e.bitfield);
          this.#dialHolders();
        }
      } else if (e.event === 'signal' && e.fileId === this.fileId) {
        this.#onSignal(e.from, e.fromUser, e.data);
      }
    } catch (err) {
      this.emit('error', { message: `bad tracker event: ${(err as Error).message}` });
    }
  }

  /** Limits changed: top up every pipeline now rather than at the next tick. */
  poke(): void {
    if (this.#closed) return;
    clearTimeout(this.#fillTimer);
    this.#fillTimer = undefined;
    this.#fillAll();
  }

  inflightPieces(): Set<number> {
    return this.#picker.inflightPieces();
  }

  stats(): SwarmStats {
    const connected = new Set<Totals>();
    const bitsOf = new Map<Totals, number>();
    for (const l of this.#links.values()) {
      if (l.totals && l.bits) {
        connected.add(l.totals);
        bitsOf.set(l.totals, l.bits.count());
      }
    }
    const peers: PeerInfo[] = [...this.#totals.values()].map((t) => ({
      peerId: t.peerId,
      userId: t.userId,
      connected: connected.has(t),
      downloaded: t.down.total,
      uploaded: t.up.total,
      downloadSpeed: t.down.rate(),
      uploadSpeed: t.up.rate(),
      pieces: bitsOf.get(t) ?? 0,
      strikes: t.strikes,
    }));
    return {
      peers,
      dropped: [...this.#dropped],
      downloaded: this.#down.total,
      uploaded: this.#up.total,
      downloadSpeed: this.#down.rate(),
      uploadSpeed: this.#up.rate(),
    };
  }

  /**
   * How much the swarm holds on to, for tests and diagnostics: open links,
   * links kept for blame (handshaken, open or closed), closed connection ids
   * remembered, known holders.
   */
  retained(): { links: number; blame: number; closedConns: number; holders: number } {
    return { links: this.#links.size, blame: this.#handshaken.size, closedConns: this.#closedConns.size, holders: this.#holders.size };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    clearTimeout(this.#fillTimer);
    for (const s of this.#sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.#sleepers.clear();
    for (const link of [...this.#links.values()]) this.#closeLink(link);
    this.#buffers.clear();
    this.#serveCache.clear();
    this.#handshaken.clear();
    this.removeAll();
  }

  // ---------------------------------------------------------- connecting

  #maxPeers(): number {
    return this.#o.limits.maxPeersPerFile ?? MAX_PEERS_PER_FILE;
  }

  #noteHolder(peerId: PresenceId, userId: string, bitfield: string): void {
    let hasPieces = false;
    try {
      hasPieces = !new Bitfield(this.#pieceCount, base64ToBytes(bitfield)).isEmpty();
    } catch {
      /* a bitfield we cannot read: treat as empty */
    }
    const known = this.#holders.get(peerId);
    this.#holders.set(peerId, { userId, hasPieces, lastDial: known?.lastDial ?? -Infinity });
  }

  /** Dials holders with pieces we are not linked to, within the cap. Only a downloader dials. */
  #dialHolders(): void {
    if (this.#closed || this.complete) return;
    const now = this.#o.now();
    for (const [peerId, h] of this.#holders) {
      if (this.#links.size >= this.#maxPeers()) return;
      if (!h.hasPieces || peerId === this.#o.tracker.peerId || this.#bannedPresences.has(peerId)) continue;
      if (now - h.lastDial < REDIAL_MS) continue;
      if ([...this.#links.values()].some((l) => l.peerId === peerId)) continue;
      h.lastDial = now;
      this.#open(peerId, h.userId, true, asConnId(`${this.#o.instanceId.slice(0, 12)}-${this.#serial}-${this.#nextConn++}`));
    }
  }

  #onSignal(from: PresenceId, fromUser: string, raw: unknown): void {
    const data = parseSignalEnvelope(raw);
    if (!data || this.#bannedPresences.has(from)) return;
    const existing = this.#links.get(data.conn);
    if (existing) {
      if (existing.peerId !== from) return;
      if (data.busy) this.#closeLink(existing, 'the peer is at its connection cap');
      else existing.handle.signal(data.data);
      return;
    }
    if (data.busy) return;
    // A late signal (a trailing ICE candidate) of a connection that is gone must not start a new one.
    if (this.#closedConns.has(data.conn)) return;
    // A new connection dialled by them. If we are dialling them too, the dial of the
    // smaller peer id wins on both sides, so exactly one connection survives.
    const mine = [...this.#links.values()].find((l) => l.peerId === from && !l.channel);
    if (mine) {
      if ((this.#o.tracker.peerId ?? '') < from) return;
      this.#closeLink(mine);
    }
    if (this.#links.size >= this.#maxPeers()) {
      // Full: say so, rather than let their dial wait out its connect timeout.
      this.#closedConns.add(data.conn);
      const busy: SignalEnvelope = { conn: data.conn, data: null, busy: true };
      this.#o.tracker.signal(this.fileId, from, busy).catch(() => undefined);
      return;
    }
    const link = this.#open(from, fromUser, false, data.conn);
    link.handle.signal(data.data);
  }

  #open(peerId: PresenceId, userId: string, initiator: boolean, conn: ConnId): Link {
    const tracker = this.#o.tracker;
    const link: Link = {
      conn,
      peerId,
      userId,
      initiator,
      handle: undefined!, // set just below; the link exists first in case a signal goes out at once
      channel: undefined,
      instance: undefined,
      bits: undefined,
      totals: undefined,
      openedAt: this.#o.now(),
      serveQueue: [],
      serving: false,
      closed: false,
    };
    link.handle = this.#o.connector.connect({
      initiator,
      iceServers: tracker.iceServers,
      sendSignal: (data) => {
        if (link.closed) return;
        const envelope: SignalEnvelope = { conn, data };
        tracker.signal(this.fileId, link.peerId, envelope).catch(() => {
          // Refused (not a member, offline): this connection cannot happen.
          this.#closeLink(link, 'the tracker refused the signal');
        });
      },
    });
    const handle = link.handle;
    this.#links.set(conn, link);
    handle.channel.then(
      (channel) => {
        if (link.closed) {
          channel.close();
          return;
        }
        link.channel = channel;
        // Our handshake goes first: a handler may run at once for frames already waiting.
        this.#send(link, { type: 'handshake', fileId: this.fileId, peerId: this.#o.instanceId, pieceCount: this.#pieceCount, bitfield: this.#o.have.bytes });
        channel.onClose = () => this.#closeLink(link, 'channel closed');
        channel.onFrame = (frame) => this.#onFrame(link, frame);
      },
      () => this.#closeLink(link, 'connection failed'),
    );
    return link;
  }

  #closeLink(link: Link, reason = 'closed'): void {
    if (link.closed) return;
    link.closed = true;
    if (!this.#closed) this.emit('peer_closed', { peerId: link.peerId, userId: link.userId, reason });
    this.#links.delete(link.conn);
    this.#closedConns.add(link.conn);
    if (this.#closedConns.size > CLOSED_CONNS_KEPT) this.#closedConns.delete(this.#closedConns.values().next().value!);
    link.serveQueue = [];
    if (this.#picker.hasPeer(link.conn)) this.#picker.removePeer(link.conn);
    this.#pruneBlame();
    try {
      link.channel?.close();
    } catch {
      /* already closed */
    }
    try {
      link.handle.destroy();
    } catch {
      /* already destroyed */
    }
    if (!this.#closed) {
      this.emit('changed', {});
      this.#fillAll();
    }
  }

  #send(link: Link, frame: Frame): void {
    if (link.closed || !link.channel) return;
    try {
      link.channel.send(encodeFrame(frame));
    } catch {
      this.#closeLink(link, 'send failed');
    }
  }

  // ---------------------------------------------------------- frames

  #onFrame(link: Link, bytes: Uint8Array): void {
    // Nothing a peer sends may throw into the transport's callback.
    try {
      if (link.closed || this.#closed) return;
      const decoded = decodeFrame(bytes);
      if (!decoded.ok) {
        this.#closeLink(link, `bad frame: ${decoded.message}`);
        return;
      }
      const frame = decoded.frame;
      if (frame.type === 'handshake') {
        this.#onHandshake(link, frame);
        return;
      }
      if (!link.bits) {
        this.#closeLink(link, 'frame before handshake');
        return;
      }
      switch (frame.type) {
        case 'have':
          if (frame.piece >= this.#pieceCount) return this.#closeLink(link, 'have: no such piece');
          this.#picker.peerHas(link.conn, frame.piece);
          this.#fill(link);
          return;
        case 'request':
          return this.#onRequest(link, frame);
        case 'cancel':
          link.serveQueue = link.serveQueue.filter((r) => r.piece !== frame.piece || r.offset !== frame.offset);
          return;
        case 'reject':
          this.#picker.refused(link.conn, frame);
          this.#fillAll();
          return;
        case 'block':
          return this.#onBlock(link, frame);
      }
    } catch (err) {
      this.#closeLink(link, `internal: ${(err as Error).message}`);
    }
  }

  #onHandshake(link: Link, frame: Extract<Frame, { type: 'handshake' }>): void {
    // The tracker authorised this connection for this file only: any other file id is refused.
    if (link.bits) return this.#closeLink(link, 'second handshake');
    if (frame.fileId !== this.fileId) return this.#closeLink(link, 'handshake for another file');
    if (frame.pieceCount !== this.#pieceCount) return this.#closeLink(link, 'handshake with a wrong piece count');
    const instance = asInstanceId(frame.peerId);
    if (instance === this.#o.instanceId) return this.#closeLink(link, 'a connection to ourselves');
    if (this.#bannedInstances.has(instance)) return this.#closeLink(link, 'dropped for bad pieces');
    // One link per peer: after a tracker failover a peer may dial again under a new presence id.
    for (const other of this.#links.values()) {
      if (other !== link && other.instance === instance) {
        // Same peer, new presence id: the old link lives on under the new id, so it is not dialled again.
        other.peerId = link.peerId;
        if (other.totals) other.totals.peerId = link.peerId;
        return this.#closeLink(link, 'already connected');
      }
    }
    link.instance = instance;
    link.bits = new Bitfield(this.#pieceCount, frame.bitfield);
    let totals = this.#totals.get(instance);
    if (!totals) this.#totals.set(instance, (totals = { peerId: link.peerId, userId: link.userId, down: new RateMeter(this.#o.now), up: new RateMeter(this.#o.now), strikes: 0 }));
    totals.peerId = link.peerId;
    link.totals = totals;
    this.#picker.addPeer(link.conn, link.bits);
    this.#handshaken.set(link.conn, link);
    if (this.complete && link.bits.isComplete()) return this.#closeLink(link, 'both complete');
    this.emit('changed', {});
    this.#fill(link);
  }

  #onRequest(link: Link, ref: BlockRef): void {
    if (!this.#o.have.has(ref.piece) || this.#picker.blockOf(ref) < 0 || link.serveQueue.length >= MAX_QUEUED_REQUESTS) {
      this.#send(link, { ...ref, type: 'reject' });
      return;
    }
    link.serveQueue.push({ piece: ref.piece, offset: ref.offset, length: ref.length });
    void this.#serve(link);
  }

  #onBlock(link: Link, frame: Extract<Frame, { type: 'block' }>): void {
    const ref = { piece: frame.piece, offset: frame.offset, length: frame.data.length };
    link.totals!.down.add(ref.length);
    this.#down.add(ref.length);
    const r = this.#picker.received(link.conn, ref);
    if (r.accepted) {
      let buffer = this.#buffers.get(ref.piece);
      if (!buffer) this.#buffers.set(ref.piece, (buffer = new Uint8Array(this.#picker.pieceLength(ref.piece))));
      buffer.set(frame.data, ref.offset);
      for (const c of r.cancels) {
        const other = this.#links.get(c.peer);
        if (other) this.#send(other, { ...c.ref, type: 'cancel' });
      }
      if (r.pieceReady) void this.#verify(ref.piece);
    }
    this.emit('changed', {});
    this.#fill(link);
  }

  // ---------------------------------------------------------- serving

  async #serve(link: Link): Promise<void> {
    if (link.serving) return;
    link.serving = true;
    try {
      while (!link.closed && !this.#closed && link.serveQueue.length > 0) {
        const channel = link.channel!;
        // Backpressure: nothing queues without bound in the channel.
        while (channel.bufferedAmount > SEND_HIGH_WATER_BYTES && !link.closed) await channel.drained();
        const wait = this.#o.limits.upload.waitMs();
        if (wait > 0) await this.#sleep(wait);
        const ref = link.serveQueue.shift();
        if (!ref || link.closed || this.#closed) break;
        const piece = await this.#readPiece(ref.piece);
        if (link.closed || this.#closed) break;
        if (!piece || piece.length < ref.offset + ref.length) {
          this.#send(link, { ...ref, type: 'reject' });
          continue;
        }
        this.#o.limits.upload.take(ref.length);
        this.#send(link, { type: 'block', piece: ref.piece, offset: ref.offset, data: piece.subarray(ref.offset, ref.offset + ref.length) });
        link.totals!.up.add(ref.length);
        this.#up.add(ref.length);
        this.emit('changed', {});
      }
    } catch (err) {
      this.emit('error', { message: `serving a block failed: ${(err as Error).message}` });
      this.#closeLink(link, 'serve failed');
    } finally {
      link.serving = false;
    }
  }

  #readPiece(index: number): Promise<Uint8Array | undefined> {
    let p = this.#serveCache.get(index);
    if (!p) {
      p = (this.#o.source ? this.#readOriginal(index) : this.#o.store.getPiece(this.fileId, index)).catch(() => undefined);
      this.#serveCache.set(index, p);
      if (this.#serveCache.size > SERVE_CACHE_PIECES) this.#serveCache.delete(this.#serveCache.keys().next().value!);
    }
    return p;
  }

  /**
   * A shared original is read again each time it is served, and the user may
   * have changed the file since: check it, so we never send peers pieces that
   * will fail (and cost us strikes). Hashing is ~100x faster than the channel.
   */
  async #readOriginal(index: number): Promise<Uint8Array | undefined> {
    const data = await this.#o.source!.readPiece(index);
    if ((await this.#o.hasher.sha1(data)) === this.#o.meta.pieceHashes[index]) return data;
    if (!this.#originalChanged) {
      this.#originalChanged = true;
      this.emit('error', { message: `${this.#o.meta.name} changed since it was shared: its pieces no longer match; share it again` });
    }
    return undefined;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => {
          this.#sleepers.delete(s);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleepers.add(s);
    });
  }

  // ---------------------------------------------------------- fetching

  #fillAll(): void {
    for (const link of this.#links.values()) this.#fill(link);
  }

  /** Tops up the peer's pipeline, within the download cap. */
  #fill(link: Link): void {
    if (this.#closed || link.closed || !link.bits || this.complete) return;
    const now = this.#o.now();
    const depth = pipelineDepth(link.totals!.down.rate());
    let slots = depth - this.#picker.outstanding(link.conn);
    const bucket = this.#o.limits.download;
    while (slots > 0) {
      const wait = bucket.waitMs();
      if (wait > 0) {
        // Capped: come back when the bucket has refilled.
        this.#fillTimer ??= setTimeout(() => {
          this.#fillTimer = undefined;
          this.#fillAll();
        }, wait);
        return;
      }
      const [ref] = this.#picker.pick(link.conn, 1, now);
      if (!ref) return;
      bucket.take(ref.length);
      this.#send(link, { ...ref, type: 'request' });
      slots--;
    }
  }

  async #verify(piece: number): Promise<void> {
    const data = this.#buffers.get(piece)!;
    this.#buffers.delete(piece);
    let ok = false;
    try {
      ok = (await this.#o.hasher.sha1(data)) === this.#o.meta.pieceHashes[piece];
    } catch (err) {
      this.emit('error', { message: `hashing piece ${piece} failed: ${(err as Error).message}` });
    }
    if (this.#closed) return;
    if (!ok) return this.#pieceFailed(piece);
    try {
      await this.#o.store.putPiece(this.fileId, piece, data);
    } catch (err) {
      // Not the peers' fault: fetch it again, no strikes.
      this.emit('error', { message: `storing piece ${piece} failed: ${(err as Error).message}` });
      if (!this.#closed) this.#picker.failed(piece);
      this.#pruneBlame();
      this.#fillAll();
      return;
    }
    if (this.#closed) return;
    this.#picker.verified(piece);
    this.#pruneBlame();
    this.emit('verified', { piece });
    // Served from now on: tell peers and the tracker at once.
    for (const link of this.#links.values()) if (link.bits) this.#send(link, { type: 'have', piece });
    this.#pendingHave.push(piece);
    this.#flushHave();
    if (this.complete) this.#onComplete();
    else this.#fillAll();
  }

  #pieceFailed(piece: number): void {
    const contributors = this.#picker.failed(piece);
    // Links that closed meanwhile still take the blame (their pieces may verify after they are gone).
    const links = contributors.map((c) => this.#handshaken.get(c)).filter((l): l is Link => !!l);
    this.emit('piece_failed', { piece, peers: links.map((l) => ({ peerId: l.peerId, userId: l.userId })) });
    for (const link of links) {
      const totals = link.totals!;
      totals.strikes++;
      if (totals.strikes >= MAX_STRIKES && !this.#bannedInstances.has(link.instance!)) {
        this.#bannedInstances.add(link.instance!);
        this.#bannedPresences.add(link.peerId);
        this.#dropped.push({ peerId: link.peerId, userId: link.userId });
        this.emit('peer_dropped', { peerId: link.peerId, userId: link.userId, reason: `${totals.strikes} pieces failed their SHA-1 check` });
        // Its blocks in unfinished pieces go too: finished by others, they would fail and blame them.
        for (const piece of this.#picker.dropPeer(link.conn)) this.#buffers.delete(piece);
        this.#closeLink(link, 'strikes');
      }
    }
    this.#pruneBlame();
    this.#fillAll();
  }

  /**
   * Links that closed are kept only while an unfinished piece holds blocks
   * they sent. Run when a link closes and when a piece verifies, fails or is
   * discarded: the map holds the open links (at most the peer cap) and the
   * few closed ones still to blame, so the sweep is short.
   */
  #pruneBlame(): void {
    for (const [conn, link] of this.#handshaken) {
      if (link.closed && !this.#picker.contributed(conn)) this.#handshaken.delete(conn);
    }
  }

  #flushHave(): void {
    if (this.#sendingHave || this.#pendingHave.length === 0 || this.#closed) return;
    this.#sendingHave = true;
    const pieces = this.#pendingHave.splice(0, 1024);
    this.#o.tracker
      .have(this.fileId, pieces)
      .catch(() => {
        /* lost with the connection: the re-announce after reconnecting carries the whole bitfield */
      })
      .finally(() => {
        this.#sendingHave = false;
        this.#flushHave();
      });
  }

  #onComplete(): void {
    this.#emitComplete();
    // Seeders have nothing to give each other.
    for (const link of [...this.#links.values()]) if (link.bits?.isComplete()) this.#closeLink(link, 'both complete');
  }

  #emitComplete(): void {
    if (this.#completeEmitted) return;
    this.#completeEmitted = true;
    this.#buffers.clear();
    this.emit('complete', {});
  }

  #housekeeping(): void {
    if (this.#closed) return;
    const now = this.#o.now();
    for (const link of [...this.#links.values()]) {
      if (!link.bits && now - link.openedAt > CONNECT_TIMEOUT_MS) this.#closeLink(link, 'connect timeout');
    }
    if (this.complete) return;
    for (const { peer, ref } of this.#picker.expire(now)) {
      const link = this.#links.get(peer);
      if (link) this.#send(link, { ...ref, type: 'cancel' });
    }
    this.#dialHolders();
    this.#fillAll();
  }
}
