/**
 * Where the pieces a swarm serves come from: the piece store, or the
 * sharer's original file, checked against its hashes unless the platform
 * guarantees it unchanged (PieceSource.unchanging: a browser's File
 * snapshot fails to read once the file changed). The last few are kept, so
 * the consecutive block requests of one piece read it once.
 *
 * Read-ahead: a downloader asks for equally rare pieces in runs
 * (picker.ts), so a request for the piece after one just read from the
 * original reads READ_AHEAD_PIECES at once, where the source can
 * (PieceSource.readPieces). A read from a browser's File costs a Blob and a
 * round trip to the browser process per call: reading eight pieces in one
 * call cost about half as much per MB as one at a time
 * (docs/transfer-profile.md). Random requests still read one piece each.
 */
import type { FileMeta } from '../protocol/tracker.ts';
import type { Hasher, PieceSource, PieceStore } from './ports.ts';

/** Pieces kept in memory for serving: a read-ahead and a few of another downloader's. */
const SERVE_CACHE_PIECES = 8;
/** Pieces read from the original in one call when requests come in order. */
const READ_AHEAD_PIECES = 4;
/** Run ends remembered (one per downloader reading in order, about). */
const RUNS_TRACKED = 8;

export interface ServedPiecesOptions {
  fileId: string;
  meta: FileMeta;
  store: PieceStore;
  hasher: Hasher;
  /** The sharer's original; pieces come from the store when absent. */
  source?: PieceSource | undefined;
}

export class ServedPieces {
  readonly #o: ServedPiecesOptions;
  readonly #onError: (message: string) => void;
  #cache = new Map<number, Promise<Uint8Array | undefined>>();
  #originalChanged = false;
  #originalUnreadable = false;
  /** Pieces just after something read from the original: asked for next, they start a read-ahead. */
  #runEnds = new Set<number>();

  constructor(options: ServedPiecesOptions, onError: (message: string) => void) {
    this.#o = options;
    this.#onError = onError;
  }

  /** The piece's bytes, or undefined if they cannot be read (or no longer match). Never rejects. */
  read(index: number): Promise<Uint8Array | undefined> {
    const cached = this.#cache.get(index);
    if (cached) return cached;
    const source = this.#o.source;
    if (!source) return this.#keep(index, this.#o.store.getPiece(this.#o.fileId, index).catch(() => undefined));
    const count = source.readPieces && this.#runEnds.delete(index) ? Math.min(READ_AHEAD_PIECES, this.#o.meta.pieceHashes.length - index) : 1;
    this.#noteRunEnd(index + count);
    const run = this.#readOriginals(index, count);
    for (let k = count - 1; k >= 0; k--) if (k === 0 || !this.#cache.has(index + k)) this.#keep(index + k, run.then((list) => list[k]));
    return this.#cache.get(index)!;
  }

  clear(): void {
    this.#cache.clear();
    this.#runEnds.clear();
  }

  #keep(index: number, piece: Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
    this.#cache.delete(index);
    this.#cache.set(index, piece);
    while (this.#cache.size > SERVE_CACHE_PIECES) this.#cache.delete(this.#cache.keys().next().value!);
    return piece;
  }

  #noteRunEnd(index: number): void {
    this.#runEnds.delete(index);
    this.#runEnds.add(index);
    if (this.#runEnds.size > RUNS_TRACKED) this.#runEnds.delete(this.#runEnds.values().next().value!);
  }

  /** `count` pieces from `first` on, in one read where there are several; undefined for any that cannot be served. Never rejects. */
  async #readOriginals(first: number, count: number): Promise<(Uint8Array | undefined)[]> {
    const source = this.#o.source!;
    let list: Uint8Array[];
    try {
      list = count > 1 && source.readPieces ? await source.readPieces(first, count) : [await source.readPiece(first)];
    } catch (err) {
      // A browser refuses to read a File that changed (or went) since it was picked: say so once, as for a changed one.
      if (!this.#originalUnreadable) {
        this.#originalUnreadable = true;
        this.#onError(`${this.#o.meta.name} can no longer be read (${(err as Error).name || 'error'}): it was changed, moved or deleted since it was shared; share it again`);
      }
      return [];
    }
    return Promise.all(list.slice(0, count).map((data, k) => this.#checked(first + k, data).catch(() => undefined)));
  }

  /**
   * A shared original is read again each time it is served, and the user may
   * have changed the file since: check it, so we never send peers pieces that
   * will fail (and cost us strikes). Hashing is ~100x faster than the channel.
   */
  async #checked(index: number, data: Uint8Array): Promise<Uint8Array | undefined> {
    // Checking again would only repeat what the platform guarantees (and cost a SHA-1 per served piece).
    if (this.#o.source!.unchanging) return data;
    if ((await this.#o.hasher.sha1(data)) === this.#o.meta.pieceHashes[index]) return data;
    if (!this.#originalChanged) {
      this.#originalChanged = true;
      this.#onError(`${this.#o.meta.name} changed since it was shared: its pieces no longer match; share it again`);
    }
    return undefined;
  }
}
