/**
 * One file's swarm: its peers, what they hold, and the blocks moving between
 * us and them. Three parts, each owning one job:
 *
 * - PeerLink (client/peer-link.ts): one connection, dialing → open → ready →
 *   closed; its handshake checks, serve loop (backpressure, upload cap) and
 *   connect timeout.
 * - Dialer (client/dialer.ts): the holders the tracker names, dialling them
 *   within the per-file cap, accepting dials, simultaneous dials, "busy",
 *   closed connection ids.
 * - The swarm (here): the Picker chooses blocks and each peer's pipeline
 *   follows its measured rate; a whole piece is SHA-1-checked before it is
 *   stored. A bad piece is discarded and every peer that sent blocks of it
 *   gets a strike; MAX_STRIKES and it is dropped for this file. Every
 *   verified piece: a have frame to every peer at once, a `have` to the
 *   tracker in the next report (#flushHave), and it is served from then on.
 *
 * The swarm reaches the tracker only through the SwarmTracker port
 * (client/ports.ts), so it runs in memory in tests without one
 * (tests/helpers/memory-tracker.ts). Its types are in swarm-types.ts, what
 * it serves from in served-pieces.ts.
 *
 * Over 400 lines (about 470): what is left here is one job, a piece's life
 * (picked, buffered, verified or failed, blamed, announced), and split
 * further that one story would be spread over files.
 */
import { CONNECT_TIMEOUT_MS, HAVE_REPORT_INTERVAL_MS, MAX_HAVE_PIECES, MAX_PEERS_PER_FILE, MAX_STRIKES, REQUEST_BATCH_BLOCKS } from '../protocol/constants.ts';
import type { Bitfield } from '../protocol/bitfield.ts';
import type { ConnId, InstanceId, PresenceId } from '../protocol/ids.ts';
import { Dialer } from './dialer.ts';
import { Emitter } from './emitter.ts';
import { LinkOutcomes } from './link-outcomes.ts';
import type { BlockFrame, LinkHost, PeerLink, PeerTotals } from './peer-link.ts';
import { Picker, pipelineDepth } from './picker.ts';
import type { SwarmTrackerEvent } from './ports.ts';
import { BufferPool } from './buffer-pool.ts';
import { RateMeter } from './rate.ts';
import { ServedPieces } from './served-pieces.ts';
import type { PeerInfo, SwarmEvents, SwarmOptions, SwarmStats } from './swarm-types.ts';
export type { PeerInfo, SwarmEvents, SwarmLimits, SwarmOptions, SwarmStats } from './swarm-types.ts';

/** Housekeeping period: request timeouts, redials. */
const TICK_MS = 500;
/** Spare piece buffers a downloading swarm keeps: about the pieces in flight at full speed (assembling, hashing, storing). */
const PIECE_POOL_KEEP = 8;

export class Swarm extends Emitter<SwarmEvents> {
  readonly fileId: string;
  readonly #o: SwarmOptions;
  readonly #picker: Picker<ConnId>;
  readonly #pieceCount: number;
  readonly #dialer: Dialer;
  /** Per peer instance, kept after they leave (the UI lists them with their totals). */
  #totals = new Map<InstanceId, PeerTotals>();
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
  #handshaken = new Map<ConnId, PeerLink>();
  #dropped: { peerId: PresenceId; userId: string }[] = [];
  /** Paths reported to the tracker, holders we could not reach (link-outcomes.ts). */
  readonly #outcomes: LinkOutcomes;
  /** Pieces being assembled from their blocks, in buffers of #piecePool. */
  #buffers = new Map<number, Uint8Array>();
  /**
   * A piece's buffer goes back here once it is stored (the store keeps a copy)
   * or failed: the next piece is assembled in memory already mapped, not in a
   * fresh 512 KiB (client/buffer-pool.ts). Enough for the pieces in flight.
   */
  readonly #piecePool: BufferPool;
  readonly #pieces: ServedPieces;
  #down: RateMeter;
  #up: RateMeter;
  #pendingHave: number[] = [];
  /** While set, new pieces wait for the next report to the tracker (HAVE_REPORT_INTERVAL_MS). */
  #haveHold: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #fillTimer: ReturnType<typeof setTimeout> | undefined;
  /** When each link was last sent a request (a serial, see #fillAll): equals take turns. */
  #lastAsked = new WeakMap<PeerLink, number>();
  #asked = 0;
  #closed = false;
  #completeEmitted = false;
  /** Per piece, the links we sent blocks of it: a copy for one more ranks behind a piece nobody has (serveRank). */
  #sentTo = new Map<number, Set<ConnId>>();
  #satisfiedEmitted = false;

  constructor(options: SwarmOptions) {
    super();
    this.#o = options;
    this.fileId = options.fileId;
    this.#pieceCount = options.meta.pieceHashes.length;
    this.#picker = new Picker<ConnId>(options.have, { fileSize: options.meta.size, pieceSize: options.meta.pieceSize, random: options.random });
    this.#picker.want(options.wanted);
    this.#down = new RateMeter(options.now);
    this.#up = new RateMeter(options.now);
    this.#piecePool = new BufferPool(options.meta.pieceSize, PIECE_POOL_KEEP);
    this.#pieces = new ServedPieces(options, (message) => this.emit('error', { message }));
    this.#outcomes = new LinkOutcomes(options.tracker);
    this.#dialer = new Dialer({
      fileId: options.fileId,
      pieceCount: this.#pieceCount,
      instanceId: options.instanceId,
      tracker: options.tracker,
      connector: options.connector,
      maxPeers: () => options.limits.maxPeersPerFile ?? MAX_PEERS_PER_FILE,
      now: options.now,
      connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      banned: this.#bannedPresences,
      host: this.#linkHost(),
    });
  }

  get complete(): boolean {
    return this.#o.have.isComplete();
  }

  /** Nothing left to fetch: every wanted piece (client/wanted.ts; all of them without a set) is verified. */
  get satisfied(): boolean {
    return this.#picker.satisfied;
  }

  /**
   * Fetch these pieces (one file of a batch; undefined: all). The caller
   * only widens it: asking for more later fetches the rest, keeping what is
   * held. Widened after the wanted pieces were done, the swarm dials again.
   */
  want(wanted: Bitfield | undefined): void {
    if (this.#closed) return;
    this.#picker.want(wanted);
    this.#satisfiedEmitted = this.satisfied;
    if (!this.satisfied) void this.refreshHolders();
    this.poke();
  }

  /** Announces the file to the tracker and, if incomplete, starts fetching. */
  async start(): Promise<void> {
    this.#tick = setInterval(() => this.#housekeeping(), TICK_MS);
    // The tracker port keeps this very Bitfield and re-announces it (as it is then) after a failover.
    await this.#o.tracker.announce(this.fileId, this.#o.have);
    if (this.complete) this.#emitComplete();
    else if (this.satisfied) this.#emitSatisfied();
    else await this.refreshHolders();
  }

  /** Asks the tracker who holds pieces (and to tell us of changes), and dials them. After every tracker (re)connection. */
  async refreshHolders(): Promise<void> {
    if (this.#closed || this.satisfied) return;
    try {
      const holders = await this.#o.tracker.holders(this.fileId);
      if (this.#closed) return;
      for (const h of holders) this.#dialer.noteHolder(h.peerId, h.userId, h.bitfield);
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
        if (e.bitfield === null) {
          this.#dialer.forgetHolder(e.peerId);
          this.#outcomes.forget(e.peerId);
        } else {
          this.#dialer.noteHolder(e.peerId, e.userId, e.bitfield);
          this.#dialHolders();
        }
      } else if (e.event === 'signal' && e.fileId === this.fileId) {
        this.#dialer.onSignal(e.from, e.fromUser, e.data);
      }
    } catch (err) {
      this.emit('error', { message: `bad tracker event: ${(err as Error).message}` });
    }
  }

  /**
   * The group's members changed: hang up on peers who are no longer members
   * (removed, or gone), and forget them as holders. The tracker already
   * refuses them new signals; this ends the channels already open, which only
   * the two browsers can close. `members` empty: we are out ourselves.
   */
  dropPeersOutside(members: ReadonlySet<string>): void {
    if (this.#closed) return;
    this.#dialer.dropOutside(members, 'no longer a member of the group');
    this.#outcomes.keepMembers(members);
  }

  /** Limits changed: top up every pipeline now rather than at the next tick. */
  poke(): void {
    if (this.#closed) return;
    clearTimeout(this.#fillTimer);
    this.#fillTimer = undefined;
    this.#fillAll();
  }

  /** A player needs pieces [first, last] next (a preview): the picker starts those first (client/picker.ts rule 5). */
  prioritise(window: { first: number; last: number } | undefined): void {
    this.#picker.prioritise(window);
    this.poke();
  }

  inflightPieces(): Set<number> {
    return this.#picker.inflightPieces();
  }

  /**
   * Incomplete, and nobody online we know of has a piece we lack: no linked
   * peer does, and no holder with pieces is left to dial. The download waits
   * for a holder to come back (holders_changed dials them) rather than
   * showing a speed and pieces on their way that are not.
   */
  waiting(): boolean {
    if (this.#closed || this.satisfied) return false;
    for (const l of this.#dialer.links()) if (this.#picker.hasPeer(l.conn) && this.#picker.interesting(l.conn)) return false;
    return !this.#dialer.hasHolderToDial();
  }

  stats(): SwarmStats {
    const connected = new Set<PeerTotals>();
    const bitsOf = new Map<PeerTotals, number>();
    for (const l of this.#dialer.links()) {
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
      ...(t.path ? { path: t.path } : {}),
    }));
    return {
      peers,
      dropped: [...this.#dropped],
      unreachable: this.#outcomes.unreachable(),
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
    return { links: this.#dialer.size, blame: this.#handshaken.size, closedConns: this.#dialer.closedCount, holders: this.#dialer.holderCount };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    clearTimeout(this.#fillTimer);
    clearTimeout(this.#haveHold);
    this.#dialer.closeAll();
    this.#buffers.clear();
    this.#piecePool.clear();
    this.#pieces.clear();
    this.#handshaken.clear();
    this.#sentTo.clear();
    this.removeAll();
  }

  // ---------------------------------------------------------- links

  /** Only a downloader dials. */
  #dialHolders(): void {
    if (!this.#closed && !this.satisfied) this.#dialer.dialHolders();
  }

  /** What each PeerLink asks of the swarm. */
  #linkHost(): LinkHost {
    const o = this.#o;
    return {
      fileId: o.fileId,
      pieceCount: this.#pieceCount,
      instanceId: o.instanceId,
      have: o.have,
      get uploadTurns() {
        return o.limits.uploadTurns;
      },
      canServe: (ref) => o.have.has(ref.piece) && this.#picker.blockOf(ref) >= 0,
      readPiece: (index) => this.#pieces.read(index),
      admit: (link, instance) => this.#admit(link, instance),
      ready: (link) => this.#onReady(link),
      peerHas: (link, piece) => {
        this.#picker.peerHas(link.conn, piece);
        this.#fillAll();
      },
      reject: (link, ref) => {
        this.#picker.refused(link.conn, ref);
        this.#fillAll();
      },
      block: (link, frame) => this.#onBlock(link, frame),
      served: (link, bytes, piece) => {
        let to = this.#sentTo.get(piece);
        if (!to) this.#sentTo.set(piece, (to = new Set()));
        to.add(link.conn);
        link.totals!.up.add(bytes);
        this.#up.add(bytes);
        this.emit('changed', {});
      },
      serveRank: (link, piece) => {
        const to = this.#sentTo.get(piece);
        return to ? to.size - (to.has(link.conn) ? 1 : 0) : 0;
      },
      error: (message) => this.emit('error', { message }),
      pathKnown: (link, path) => {
        if (link.totals) link.totals.path = path;
        this.#outcomes.pathKnown(link, path);
        this.emit('changed', {});
      },
      closed: (link, reason) => this.#onLinkClosed(link, reason),
    };
  }

  /** Their handshake, past the link's own checks: refused if banned, or if we are already linked to that instance. */
  #admit(link: PeerLink, instance: InstanceId): string | undefined {
    if (this.#bannedInstances.has(instance)) return 'dropped for bad pieces';
    // One link per peer: after a tracker failover a peer may dial again under a new presence id.
    for (const other of this.#dialer.links()) {
      if (other !== link && other.instance === instance) {
        // Same peer, new presence id: the old link lives on under the new id, so it is not dialled again.
        other.peerId = link.peerId;
        if (other.totals) other.totals.peerId = link.peerId;
        return 'already connected';
      }
    }
    return undefined;
  }

  #onReady(link: PeerLink): void {
    const instance = link.instance!;
    let totals = this.#totals.get(instance);
    if (!totals) this.#totals.set(instance, (totals = { peerId: link.peerId, userId: link.userId, down: new RateMeter(this.#o.now), up: new RateMeter(this.#o.now), strikes: 0 }));
    totals.peerId = link.peerId;
    totals.path = undefined; // a new link: its path is its own
    link.totals = totals;
    this.#outcomes.ready(link);
    this.#picker.addPeer(link.conn, link.bits!);
    this.#handshaken.set(link.conn, link);
    if (this.complete && link.bits!.isComplete()) return link.close('both complete');
    this.emit('changed', {});
    this.#fillAll();
  }

  #onLinkClosed(link: PeerLink, reason: string): void {
    if (!this.#closed) this.emit('peer_closed', { peerId: link.peerId, userId: link.userId, reason });
    if (!this.#closed) this.#outcomes.closed(link);
    this.#dialer.forget(link);
    if (this.#picker.hasPeer(link.conn)) this.#picker.removePeer(link.conn);
    this.#pruneBlame();
    if (!this.#closed) {
      this.emit('changed', {});
      this.#fillAll();
    }
  }

  // ---------------------------------------------------------- fetching

  #onBlock(link: PeerLink, frame: BlockFrame): void {
    const ref = { piece: frame.piece, offset: frame.offset, length: frame.data.length };
    link.totals!.down.add(ref.length);
    this.#down.add(ref.length);
    const r = this.#picker.received(link.conn, ref);
    if (r.accepted) {
      let buffer = this.#buffers.get(ref.piece);
      // Its old bytes need no clearing: a piece is verified only once its blocks have covered it.
      if (!buffer) this.#buffers.set(ref.piece, (buffer = this.#piecePool.view(this.#picker.pieceLength(ref.piece))));
      buffer.set(frame.data, ref.offset);
      for (const c of r.cancels) {
        this.#dialer.get(c.peer)?.send({ ...c.ref, type: 'cancel' });
      }
      if (r.pieceReady) void this.#verify(ref.piece);
    }
    this.emit('changed', {});
    this.#fillAll();
  }

  /**
   * Tops up the pipelines, one block at a time, always to the ready link with
   * the fewest requests outstanding (within its depth): so under a download
   * cap the tokens are shared among the peers, and a faster peer, whose
   * requests come back sooner, gets more. Handing them to whichever link's
   * block arrived gave the first link every token and left a second seeder
   * idle (issue 12). Uncapped, every pipeline fills to its depth as before.
   * A link is topped up only once it has room for a batch
   * (REQUEST_BATCH_BLOCKS, or half its depth), and then to its depth: the
   * requests of one top-up go in one frame (PeerLink.request).
   */
  #fillAll(): void {
    if (this.#closed || this.satisfied) return;
    const now = this.#o.now();
    const bucket = this.#o.limits.download;
    const open: { link: PeerLink; depth: number; topping: boolean }[] = [];
    for (const link of this.#dialer.links()) {
      if (link.state === 'ready' && link.totals) open.push({ link, depth: pipelineDepth(link.totals.down.rate()), topping: false });
    }
    while (open.length > 0) {
      const wait = bucket.waitMs();
      if (wait > 0) {
        // Capped: come back when the bucket has refilled.
        this.#fillTimer ??= setTimeout(() => {
          this.#fillTimer = undefined;
          this.#fillAll();
        }, wait);
        return;
      }
      // Fewest outstanding first; among equals, the one asked longest ago (so equals take turns).
      let best = -1;
      let fewest = Infinity;
      let oldest = Infinity;
      for (let i = 0; i < open.length; i++) {
        const { link, depth, topping } = open[i]!;
        const outstanding = this.#picker.outstanding(link.conn);
        if (outstanding >= depth) continue;
        if (!topping && depth - outstanding < Math.min(REQUEST_BATCH_BLOCKS, Math.ceil(depth / 2))) continue;
        const asked = this.#lastAsked.get(link) ?? -1;
        if (outstanding < fewest || (outstanding === fewest && asked < oldest)) {
          fewest = outstanding;
          oldest = asked;
          best = i;
        }
      }
      if (best < 0) return; // every pipeline is full
      const { link } = open[best]!;
      open[best]!.topping = true;
      const [ref] = this.#picker.pick(link.conn, 1, now);
      if (!ref) {
        open.splice(best, 1); // nothing this peer has that we still need
        continue;
      }
      bucket.take(ref.length);
      this.#lastAsked.set(link, this.#asked++);
      link.request(ref);
    }
  }

  async #verify(piece: number): Promise<void> {
    const data = this.#buffers.get(piece)!;
    this.#buffers.delete(piece);
    const outcome = await this.#checkAndStore(piece, data);
    // The store keeps its own copy (or the piece was bad): the buffer assembles a next piece.
    this.#piecePool.give(data.buffer);
    if (outcome === 'failed_here') {
      // Not the peers' fault: fetch it again, no strikes.
      if (!this.#closed) this.#picker.failed(piece);
      this.#pruneBlame();
      this.#fillAll();
      return;
    }
    if (this.#closed) return;
    if (outcome === 'bad') return this.#pieceFailed(piece);
    this.#picker.verified(piece);
    this.#pruneBlame();
    this.emit('verified', { piece });
    // Served from now on: tell peers and the tracker at once.
    for (const link of this.#dialer.links()) if (link.state === 'ready') link.send({ type: 'have', piece });
    this.#pendingHave.push(piece);
    this.#flushHave();
    if (this.complete) this.#onComplete();
    else if (this.satisfied) this.#emitSatisfied();
    else this.#fillAll();
  }

  /**
   * The SHA-1 check, then the store: 'bad' when the bytes do not match (or
   * the swarm closed meanwhile: nothing is stored then); 'failed_here' when
   * our own hasher or store failed, which says nothing of the peers' bytes.
   * Never rejects.
   */
  async #checkAndStore(piece: number, data: Uint8Array): Promise<'bad' | 'stored' | 'failed_here'> {
    let ok: boolean;
    try {
      ok = (await this.#o.hasher.sha1(data)) === this.#o.meta.pieceHashes[piece];
    } catch (err) {
      this.emit('error', { message: `hashing piece ${piece} failed: ${(err as Error).message}` });
      return 'failed_here';
    }
    if (!ok || this.#closed) return 'bad';
    try {
      await this.#o.store.putPiece(this.fileId, piece, data);
      return 'stored';
    } catch (err) {
      this.emit('store_failed', { piece, message: (err as Error).message });
      return 'failed_here';
    }
  }

  #pieceFailed(piece: number): void {
    const contributors = this.#picker.failed(piece);
    // Links that closed meanwhile still take the blame (their pieces may verify after they are gone).
    const links = contributors.map((c) => this.#handshaken.get(c)).filter((l): l is PeerLink => !!l);
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
        link.close('strikes');
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
      if (link.state === 'closed' && !this.#picker.contributed(conn)) this.#handshaken.delete(conn);
    }
  }

  /**
   * Reports new pieces to the tracker: the first at once, then at most one
   * report per HAVE_REPORT_INTERVAL_MS carrying what verified meanwhile, and
   * the report that completes what we want at once. Reports are additive, so
   * one may leave while another is still on its way.
   */
  #flushHave(): void {
    if (this.#pendingHave.length === 0 || this.#closed) return;
    const urgent = this.complete || this.satisfied;
    if (this.#haveHold && !urgent) return; // the hold's end sends what gathered
    clearTimeout(this.#haveHold);
    this.#haveHold = setTimeout(() => {
      this.#haveHold = undefined;
      this.#flushHave();
    }, HAVE_REPORT_INTERVAL_MS);
    while (this.#pendingHave.length > 0) {
      const pieces = this.#pendingHave.splice(0, MAX_HAVE_PIECES);
      this.#o.tracker.have(this.fileId, pieces).catch(() => {
        /* lost with the connection: the re-announce after reconnecting carries the whole bitfield */
      });
    }
  }

  #onComplete(): void {
    this.#piecePool.clear();
    this.#emitComplete();
    // Seeders have nothing to give each other.
    for (const link of [...this.#dialer.links()]) if (link.bits?.isComplete()) link.close('both complete');
  }

  /** The wanted pieces are here, not the whole file: it is seeded as it is, and fetches no more until `want` widens. */
  #emitSatisfied(): void {
    if (this.#satisfiedEmitted) return;
    this.#satisfiedEmitted = true;
    this.emit('satisfied', {});
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
    if (this.satisfied) return;
    for (const { peer, ref } of this.#picker.expire(now)) {
      this.#dialer.get(peer)?.send({ ...ref, type: 'cancel' });
    }
    this.#dialHolders();
    this.#fillAll();
  }
}
