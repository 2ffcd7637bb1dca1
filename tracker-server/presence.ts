/**
 * Soft state: which peers are online and which pieces of which files they
 * hold. Not in the op log: re-announced after a reconnect, gone with the
 * connection. Entries carry the tracker the peer is connected to, so the mesh
 * can keep other trackers' peers here too.
 *
 * Every change to a holding is emitted from here (`onChange`), tagged with
 * its origin: `local` for a peer connected to this tracker, `mesh` for
 * another tracker's peer. Whoever changes presence (a handler, the mesh, an
 * op ending a membership) has nothing to remember: the file's watchers are
 * told by the clients registry, and the mesh publishes the local changes.
 */
import { Bitfield } from '../protocol/bitfield.ts';
import { fewAdd, fewDelete, fewValues, type Few } from './few.ts';

export interface PeerInfo {
  peerId: string;
  userId: string;
  /** The tracker the peer is connected to. */
  trackerId: string;
}

export interface Holding {
  peer: PeerInfo;
  fileId: string;
  bitfield: Bitfield;
}

/** Where a change comes from: a peer of this tracker's, or another tracker's (learnt from the mesh). */
export type PresenceOrigin = 'local' | 'mesh';
/** A holding was set or grew (`gone` false), or ended (`gone` true). Arguments, not an object: `have` is frequent. */
export type PresenceListener = (holding: Holding, gone: boolean, origin: PresenceOrigin) => void;

/** A file's peers online: those with the whole file, and those with part of it. */
export interface OnlineCounts {
  whole: number;
  partial: number;
}

export class Presence {
  #listeners: PresenceListener[] = [];
  #peers = new Map<string, PeerInfo>();
  #byFile = new Map<string, Map<string, Holding>>();
  /** The files each peer announced: nearly always one (few.ts). */
  #filesOfPeer = new Map<string, Few<string>>();
  /**
   * Per file, one complete bitfield that every holding with the whole file
   * shares (most holders of a shared file are its seeders): a bitfield of
   * its own costs an idle peer ~220 bytes (the Bitfield, its Uint8Array and
   * ArrayBuffer; bench/tracker-heap.ts). Sharing is safe because a bitfield
   * here only ever gains pieces (`set`), and a complete one has none to gain.
   */
  #whole = new Map<string, Bitfield>();

  /** `trackerId`: this tracker's, so a change can say whether its peer is connected here. */
  constructor(readonly trackerId: string) {}

  /** Hears every change to a holding, in the order they happen; returns the way to stop. */
  onChange(listener: PresenceListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  #emit(holding: Holding, gone: boolean): void {
    const origin: PresenceOrigin = holding.peer.trackerId === this.trackerId ? 'local' : 'mesh';
    // A copy-on-write array: a listener that stops listening does not disturb this round.
    for (const listener of this.#listeners) listener(holding, gone, origin);
  }

  addPeer(peer: PeerInfo): void {
    this.#peers.set(peer.peerId, peer);
  }
  peer(peerId: string): PeerInfo | undefined {
    return this.#peers.get(peerId);
  }

  /** Sets a peer's whole bitfield for a file. */
  announce(peerId: string, fileId: string, bitfield: Bitfield): Holding | undefined {
    const peer = this.#peers.get(peerId);
    if (!peer) return undefined;
    let holders = this.#byFile.get(fileId);
    if (!holders) this.#byFile.set(fileId, (holders = new Map()));
    const holding: Holding = { peer, fileId, bitfield: this.#shared(fileId, bitfield) };
    holders.set(peerId, holding);
    this.#filesOfPeer.set(peerId, fewAdd(this.#filesOfPeer.get(peerId), fileId));
    this.#emit(holding, false);
    return holding;
  }

  /** The file's shared complete bitfield if `bitfield` is complete (it becomes the shared one if none is yet), else `bitfield`. */
  #shared(fileId: string, bitfield: Bitfield): Bitfield {
    if (!bitfield.isComplete()) return bitfield;
    const whole = this.#whole.get(fileId);
    if (whole?.length === bitfield.length) return whole;
    // None yet, or one of another length (a file's piece count never changes; a mesh peer could say otherwise): this one.
    if (!whole) this.#whole.set(fileId, bitfield);
    return bitfield;
  }

  /** Adds pieces to a peer's bitfield; undefined if the peer never announced the file. */
  have(peerId: string, fileId: string, pieces: readonly number[]): Holding | undefined {
    const holding = this.#byFile.get(fileId)?.get(peerId);
    if (!holding) return undefined;
    for (const p of pieces) holding.bitfield.set(p);
    holding.bitfield = this.#shared(fileId, holding.bitfield);
    this.#emit(holding, false);
    return holding;
  }

  unannounce(peerId: string, fileId: string): Holding | undefined {
    const holders = this.#byFile.get(fileId);
    const holding = holders?.get(peerId);
    if (!holding) return undefined;
    holders!.delete(peerId);
    if (holders!.size === 0) {
      this.#byFile.delete(fileId);
      this.#whole.delete(fileId);
    }
    const files = fewDelete(this.#filesOfPeer.get(peerId), fileId);
    if (files === undefined) this.#filesOfPeer.delete(peerId);
    else this.#filesOfPeer.set(peerId, files);
    this.#emit(holding, true);
    return holding;
  }

  /** The file ids a peer holds (announced), live: copy before unannouncing while iterating. */
  filesOf(peerId: string): Iterable<string> {
    return fewValues(this.#filesOfPeer.get(peerId));
  }

  /** The peer went offline: forget it and return what it held. */
  removePeer(peerId: string): Holding[] {
    const gone: Holding[] = [];
    // A copy: unannouncing changes the set.
    for (const fileId of [...fewValues(this.#filesOfPeer.get(peerId))]) {
      const holding = this.unannounce(peerId, fileId);
      if (holding) gone.push(holding);
    }
    this.#filesOfPeer.delete(peerId);
    this.#peers.delete(peerId);
    return gone;
  }

  /** Every peer that announced the file (downloaders with no piece yet included). */
  holders(fileId: string): Iterable<Holding> {
    return this.#byFile.get(fileId)?.values() ?? [];
  }

  /** Peers holding at least one piece. */
  onlineHolderCount(fileId: string): number {
    let n = 0;
    for (const h of this.holders(fileId)) if (!h.bitfield.isEmpty()) n++;
    return n;
  }

  /** Peers holding every piece (`whole`), and those holding some but not all (`partial`). */
  onlineCounts(fileId: string): OnlineCounts {
    const counts = { whole: 0, partial: 0 };
    for (const h of this.holders(fileId)) {
      if (h.bitfield.isComplete()) counts.whole++;
      else if (!h.bitfield.isEmpty()) counts.partial++;
    }
    return counts;
  }

  /** Drop a file everywhere (its share was stopped); returns who held it. */
  dropFile(fileId: string): Holding[] {
    const holders = [...this.holders(fileId)];
    for (const h of holders) this.unannounce(h.peer.peerId, fileId);
    return holders;
  }

  peers(): Iterable<PeerInfo> {
    return this.#peers.values();
  }
}
