/**
 * Piece selection for one file: which block to ask of which peer. Pure: no
 * I/O, no timers; the clock and the random source are passed in, so tests
 * are deterministic.
 *
 * Policy (ARCHITECTURE "Browser ⇄ browser"):
 * 1. Partly received pieces are finished before new ones are started. A
 *    piece stays with the peer that started it (piece affinity) until that
 *    peer leaves, times out or refuses: a piece then has one sender, so a
 *    bad piece blames only the peer that sent it, never an honest one that
 *    happened to share it. Orphaned partial pieces go to whoever asks next.
 * 2. The first INITIAL_RANDOM_PIECES pieces are random, so a new downloader
 *    soon has something to offer; after that, rarest first among connected
 *    peers. Among equally rare pieces: the one after the last piece this
 *    peer was asked to start, if it is one of them (runs in order let the
 *    sharer read several pieces at once, served-pieces.ts), else random.
 *    Where the next piece is no longer among the rarest (another
 *    downloader's run got there first), the jump is random, so downloaders
 *    of one seeder spread out instead of racing for the same pieces.
 * 3. Endgame at the tail (every missing piece started): blocks outstanding at
 *    one peer are also asked of others (up to ENDGAME_MAX_DUPLICATES); when
 *    one arrives the others are cancelled.
 * 4. A request that times out is released, so another peer gets it.
 * 5. Priority window (`prioritise`, a preview's player): while one is set,
 *    new pieces are started lowest index first inside it, before rules 2's
 *    random and rarest; outside it, or when it holds nothing this peer
 *    offers, the usual rules apply. Sequential is a mode of this picker.
 * 6. Wanted set (`want`, one file of a batch): while one is set, only its
 *    pieces are started, endgame means "every wanted piece is started", and
 *    a peer is interesting only for a wanted piece. `satisfied` is the
 *    completion that counts then: every wanted piece verified.
 * The caller sizes each peer's pipeline with `pipelineDepth(rate)`.
 *
 * Over 400 lines (about 430): one policy over one piece state (peers,
 * partial pieces, priority and wanted set); split, each rule would need the
 * others' private maps.
 */
import type { Bitfield } from '../protocol/bitfield.ts';
import {
  BLOCK_SIZE,
  ENDGAME_MAX_DUPLICATES,
  INITIAL_RANDOM_PIECES,
  PIECE_SIZE,
  PIPELINE_MAX_BLOCKS,
  PIPELINE_MIN_BLOCKS,
  PIPELINE_TARGET_MS,
  REQUEST_TIMEOUT_MS,
} from '../protocol/constants.ts';
import type { BlockRef } from '../protocol/wire.ts';
import { covers } from './wanted.ts';

export interface PickerOptions {
  fileSize: number;
  pieceSize?: number;
  blockSize?: number;
  random: () => number;
  initialRandomPieces?: number;
  maxDuplicates?: number;
  timeoutMs?: number;
}

/** Blocks to keep in flight at a peer measured at `bytesPerSecond`. */
export function pipelineDepth(bytesPerSecond: number, blockSize = BLOCK_SIZE): number {
  const want = Math.ceil((bytesPerSecond * PIPELINE_TARGET_MS) / 1000 / blockSize);
  return Math.max(PIPELINE_MIN_BLOCKS, Math.min(PIPELINE_MAX_BLOCKS, want));
}

interface PeerState<P extends string> {
  bits: Bitfield;
  /** Outstanding requests: block key → when asked. */
  requests: Map<number, { ref: BlockRef; at: number }>;
  /** Pieces it refused to send (a reject): not asked of it again unless it announces them anew. */
  refused: Set<number>;
  /** The last piece started with this peer (-1: none yet): the next one continues its run. */
  lastStarted: number;
}

interface Partial<P extends string> {
  /** Per block: received yet? */
  received: Uint8Array;
  remaining: number;
  /** Per block: peers it is outstanding at. */
  askedOf: Set<P>[];
  /** Peers that delivered blocks of this piece (they share the blame if it fails). */
  contributors: Set<P>;
  /** The peer this piece is being fetched from; undefined when orphaned. */
  owner: P | undefined;
}

export interface Received<P extends string = string> {
  /** False for a block nobody asked this peer for (or already received): drop its data. */
  accepted: boolean;
  /** Every block of the piece has arrived: verify it. */
  pieceReady: boolean;
  /** The same block was also asked of these peers (endgame): cancel there. */
  cancels: { peer: P; ref: BlockRef }[];
}

const offers = (state: PeerState<string>, piece: number): boolean => state.bits.has(piece) && !state.refused.has(piece);

/** `P`: how the caller names a peer (the swarm: its connection ids). */
export class Picker<P extends string = string> {
  readonly pieceCount: number;
  readonly #have: Bitfield;
  readonly #pieceSize: number;
  readonly #blockSize: number;
  readonly #fileSize: number;
  readonly #random: () => number;
  readonly #initialRandom: number;
  readonly #maxDuplicates: number;
  readonly #timeoutMs: number;
  readonly #availability: Uint32Array;
  readonly #peers = new Map<P, PeerState<P>>();
  /** Started, not yet verified; Map keeps start order, so older pieces are finished first. */
  readonly #partial = new Map<number, Partial<P>>();
  /** Pieces [first, last] a player needs next; undefined: no priority. */
  #priority: { first: number; last: number } | undefined;
  /** Pieces asked for (client/wanted.ts); undefined: all of them. */
  #wanted: Bitfield | undefined;

  /** `have` is shared with the caller: the picker sets a piece in it when told it verified. */
  constructor(have: Bitfield, options: PickerOptions) {
    this.#have = have;
    this.pieceCount = have.length;
    this.#fileSize = options.fileSize;
    this.#pieceSize = options.pieceSize ?? PIECE_SIZE;
    this.#blockSize = options.blockSize ?? BLOCK_SIZE;
    this.#random = options.random;
    this.#initialRandom = options.initialRandomPieces ?? INITIAL_RANDOM_PIECES;
    this.#maxDuplicates = options.maxDuplicates ?? ENDGAME_MAX_DUPLICATES;
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.#availability = new Uint32Array(this.pieceCount);
  }

  // ---------------------------------------------------------- geometry

  pieceLength(piece: number): number {
    return Math.min(this.#pieceSize, this.#fileSize - piece * this.#pieceSize);
  }
  blocksIn(piece: number): number {
    return Math.ceil(this.pieceLength(piece) / this.#blockSize);
  }
  #ref(piece: number, block: number): BlockRef {
    const offset = block * this.#blockSize;
    return { piece, offset, length: Math.min(this.#blockSize, this.pieceLength(piece) - offset) };
  }
  /** A request key, unique per block of the file. */
  #key(piece: number, block: number): number {
    return piece * 65536 + block;
  }
  /** The block index a well-formed ref names, or -1. */
  blockOf(ref: BlockRef): number {
    if (ref.piece < 0 || ref.piece >= this.pieceCount || ref.offset % this.#blockSize !== 0) return -1;
    const block = ref.offset / this.#blockSize;
    if (block >= this.blocksIn(ref.piece)) return -1;
    return this.#ref(ref.piece, block).length === ref.length ? block : -1;
  }

  // ---------------------------------------------------------- peers

  addPeer(peer: P, bits: Bitfield): void {
    this.removePeer(peer);
    this.#peers.set(peer, { bits, requests: new Map(), refused: new Set(), lastStarted: -1 });
    for (let i = 0; i < this.pieceCount; i++) if (bits.has(i)) this.#availability[i]!++;
  }

  /** The peer announced a piece. */
  peerHas(peer: P, piece: number): void {
    const state = this.#peers.get(peer);
    if (!state || piece < 0 || piece >= this.pieceCount) return;
    state.refused.delete(piece);
    if (state.bits.has(piece)) return;
    state.bits.set(piece);
    this.#availability[piece]!++;
  }

  /** The peer went away: its outstanding requests are released for others. */
  removePeer(peer: P): BlockRef[] {
    const state = this.#peers.get(peer);
    if (!state) return [];
    this.#peers.delete(peer);
    for (let i = 0; i < this.pieceCount; i++) if (state.bits.has(i)) this.#availability[i]!--;
    const released: BlockRef[] = [];
    for (const { ref } of state.requests.values()) {
      this.#partial.get(ref.piece)?.askedOf[this.blockOf(ref)]?.delete(peer);
      released.push(ref);
    }
    for (const p of this.#partial.values()) if (p.owner === peer) p.owner = undefined;
    return released;
  }

  /**
   * The peer is dropped for bad data: it goes, and so does every block it
   * delivered into pieces not yet complete (they would fail, and blame
   * whoever finished them). Returns those pieces, which start over.
   */
  dropPeer(peer: P): number[] {
    this.removePeer(peer);
    const discarded: number[] = [];
    for (const [piece, partial] of this.#partial) {
      if (partial.remaining === 0 || !partial.contributors.has(peer)) continue;
      for (const [other, state] of this.#peers) {
        for (let b = 0; b < partial.askedOf.length; b++) if (partial.askedOf[b]!.has(other)) state.requests.delete(this.#key(piece, b));
      }
      this.#partial.delete(piece);
      discarded.push(piece);
    }
    return discarded;
  }

  /** Did the peer send blocks of a piece not yet verified or failed (it would share the blame)? */
  contributed(peer: P): boolean {
    for (const partial of this.#partial.values()) if (partial.contributors.has(peer)) return true;
    return false;
  }

  hasPeer(peer: P): boolean {
    return this.#peers.has(peer);
  }

  outstanding(peer: P): number {
    return this.#peers.get(peer)?.requests.size ?? 0;
  }

  /** Does the peer hold any piece we still need? */
  interesting(peer: P): boolean {
    const state = this.#peers.get(peer);
    if (!state) return false;
    for (let i = 0; i < this.pieceCount; i++) if (!this.#have.has(i) && this.#isWanted(i) && state.bits.has(i)) return true;
    return false;
  }

  /**
   * Fetch only these pieces (rule 6); undefined: every piece. Pieces already
   * started stay started (the caller only ever widens the set).
   */
  want(wanted: Bitfield | undefined): void {
    this.#wanted = wanted;
  }

  #isWanted(piece: number): boolean {
    return !this.#wanted || this.#wanted.has(piece);
  }

  /** Every wanted piece is started (or held): the tail, where endgame begins. */
  #allStarted(): boolean {
    if (!this.#wanted) return this.#have.count() + this.#partial.size === this.pieceCount;
    for (let i = 0; i < this.pieceCount; i++) if (this.#wanted.has(i) && !this.#have.has(i) && !this.#partial.has(i)) return false;
    return true;
  }

  availability(piece: number): number {
    return this.#availability[piece] ?? 0;
  }

  // ---------------------------------------------------------- picking

  /** Up to `slots` new requests to send to `peer`, recorded as outstanding at `now`. */
  pick(peer: P, slots: number, now: number): BlockRef[] {
    const state = this.#peers.get(peer);
    const out: BlockRef[] = [];
    if (!state || slots <= 0) return out;
    const take = (piece: number, block: number, partial: Partial<P>) => {
      const ref = this.#ref(piece, block);
      partial.askedOf[block]!.add(peer);
      state.requests.set(this.#key(piece, block), { ref, at: now });
      out.push(ref);
    };

    // 1. Finish what is started: unasked blocks of partial pieces this peer has.
    for (const [piece, partial] of this.#partial) {
      if (out.length >= slots) return out;
      if (!offers(state, piece) || partial.remaining === 0) continue;
      if (partial.owner !== undefined && partial.owner !== peer) continue;
      for (let b = 0; b < partial.received.length && out.length < slots; b++) {
        if (!partial.received[b] && partial.askedOf[b]!.size === 0) {
          partial.owner = peer;
          take(piece, b, partial);
        }
      }
    }

    // 2. Start new pieces: random at first, then rarest first.
    while (out.length < slots) {
      const piece = this.#choosePiece(state);
      if (piece < 0) break;
      state.lastStarted = piece;
      const partial = this.#start(piece, peer);
      for (let b = 0; b < partial.received.length && out.length < slots; b++) take(piece, b, partial);
    }

    // 3. Endgame: every missing piece is started; ask for blocks outstanding elsewhere too.
    if (out.length < slots && this.#allStarted()) {
      for (const [piece, partial] of this.#partial) {
        if (out.length >= slots) break;
        if (!offers(state, piece)) continue;
        for (let b = 0; b < partial.received.length && out.length < slots; b++) {
          const asked = partial.askedOf[b]!;
          if (!partial.received[b] && !asked.has(peer) && asked.size < this.#maxDuplicates) take(piece, b, partial);
        }
      }
    }
    return out;
  }

  #start(piece: number, owner: P): Partial<P> {
    const blocks = this.blocksIn(piece);
    const partial: Partial<P> = {
      received: new Uint8Array(blocks),
      remaining: blocks,
      askedOf: Array.from({ length: blocks }, () => new Set<P>()),
      contributors: new Set(),
      owner,
    };
    this.#partial.set(piece, partial);
    return partial;
  }

  /**
   * Prefer pieces `first`..`last` (clamped to the file), lowest index first,
   * when starting new pieces; `undefined` clears it. A player that seeks sets
   * a new window; pieces already started elsewhere are finished as usual.
   */
  prioritise(window: { first: number; last: number } | undefined): void {
    if (!window) {
      this.#priority = undefined;
      return;
    }
    const first = Math.max(0, Math.floor(window.first));
    const last = Math.min(this.pieceCount - 1, Math.floor(window.last));
    this.#priority = first <= last ? { first, last } : undefined;
  }

  /** A piece the peer has that we neither have nor started; -1 if none. */
  #choosePiece(state: PeerState<P>): number {
    if (this.#priority) {
      for (let i = this.#priority.first; i <= this.#priority.last; i++) {
        if (!this.#have.has(i) && !this.#partial.has(i) && this.#isWanted(i) && offers(state, i)) return i;
      }
    }
    const randomPhase = this.#have.count() + this.#partial.size < this.#initialRandom;
    let chosen = -1;
    let best = Infinity;
    let ties = 0;
    for (let i = 0; i < this.pieceCount; i++) {
      if (this.#have.has(i) || this.#partial.has(i) || !this.#isWanted(i) || !offers(state, i)) continue;
      // In the random phase every candidate ties; otherwise only the rarest do.
      const rarity = randomPhase ? 0 : this.#availability[i]!;
      if (rarity < best) {
        best = rarity;
        chosen = i;
        ties = 1;
      } else if (rarity === best) {
        // Reservoir sampling: each of the n equals ends up chosen with probability 1/n.
        ties++;
        if (this.#random() * ties < 1) chosen = i;
      }
    }
    const next = state.lastStarted + 1;
    const continues =
      !randomPhase && state.lastStarted >= 0 && next < this.pieceCount && !this.#have.has(next) && !this.#partial.has(next) &&
      this.#isWanted(next) && offers(state, next) && this.#availability[next] === best;
    return continues ? next : chosen;
  }

  // ---------------------------------------------------------- answers

  /** A block arrived from `peer`. */
  received(peer: P, ref: BlockRef): Received<P> {
    const none: Received<P> = { accepted: false, pieceReady: false, cancels: [] };
    const state = this.#peers.get(peer);
    const block = this.blockOf(ref);
    if (!state || block < 0) return none;
    const key = this.#key(ref.piece, block);
    if (!state.requests.delete(key)) return none;
    const partial = this.#partial.get(ref.piece);
    if (!partial) return none;
    partial.askedOf[block]!.delete(peer);
    if (partial.received[block]) return none; // an endgame duplicate that lost the race
    partial.received[block] = 1;
    partial.remaining--;
    partial.contributors.add(peer);
    const cancels: Received<P>['cancels'] = [];
    for (const other of partial.askedOf[block]!) {
      this.#peers.get(other)?.requests.delete(key);
      cancels.push({ peer: other, ref: this.#ref(ref.piece, block) });
    }
    partial.askedOf[block]!.clear();
    return { accepted: true, pieceReady: partial.remaining === 0, cancels };
  }

  /** The peer refused (or we cancelled) a request: the block is free for others. */
  release(peer: P, ref: BlockRef): void {
    const block = this.blockOf(ref);
    if (block < 0) return;
    this.#peers.get(peer)?.requests.delete(this.#key(ref.piece, block));
    const partial = this.#partial.get(ref.piece);
    partial?.askedOf[block]?.delete(peer);
    // The piece is free for another peer to finish.
    if (partial?.owner === peer) partial.owner = undefined;
  }

  /** The peer refused a request (it lacks the piece, or says so): released, and that piece is not asked of it again. */
  refused(peer: P, ref: BlockRef): void {
    this.release(peer, ref);
    this.#peers.get(peer)?.refused.add(ref.piece);
  }

  /** Requests older than the timeout, released so other peers get them; the caller cancels them at their peer. */
  expire(now: number): { peer: P; ref: BlockRef }[] {
    const out: { peer: P; ref: BlockRef }[] = [];
    for (const [peer, state] of this.#peers) {
      for (const { ref, at } of state.requests.values()) {
        if (now - at >= this.#timeoutMs) {
          this.release(peer, ref);
          out.push({ peer, ref });
        }
      }
    }
    return out;
  }

  /** The piece's SHA-1 matched: it is held now. */
  verified(piece: number): void {
    this.#partial.delete(piece);
    this.#have.set(piece);
  }

  /** The piece's SHA-1 did not match: it starts over. Returns who sent its blocks. */
  failed(piece: number): P[] {
    const partial = this.#partial.get(piece);
    this.#partial.delete(piece);
    return partial ? [...partial.contributors] : [];
  }

  /** Pieces started and not yet verified (requested, arriving or being verified). */
  inflightPieces(): Set<number> {
    return new Set(this.#partial.keys());
  }

  get complete(): boolean {
    return this.#have.isComplete();
  }

  /** Every wanted piece is verified (every piece, without a wanted set). */
  get satisfied(): boolean {
    return covers(this.#have, this.#wanted);
  }
}
