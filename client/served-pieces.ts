/**
 * Where the pieces a swarm serves come from: the piece store, or the
 * sharer's original file, checked against its hashes unless the platform
 * guarantees it unchanged (PieceSource.unchanging: a browser's File
 * snapshot fails to read once the file changed). The last few are kept, so
 * the consecutive block requests of one piece read it once.
 */
import type { FileMeta } from '../protocol/tracker.ts';
import type { Hasher, PieceSource, PieceStore } from './ports.ts';

/** Pieces kept in memory for serving. */
const SERVE_CACHE_PIECES = 4;

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

  constructor(options: ServedPiecesOptions, onError: (message: string) => void) {
    this.#o = options;
    this.#onError = onError;
  }

  /** The piece's bytes, or undefined if they cannot be read (or no longer match). Never rejects. */
  read(index: number): Promise<Uint8Array | undefined> {
    let p = this.#cache.get(index);
    if (!p) {
      p = (this.#o.source ? this.#readOriginal(index) : this.#o.store.getPiece(this.#o.fileId, index)).catch(() => undefined);
      this.#cache.set(index, p);
      if (this.#cache.size > SERVE_CACHE_PIECES) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return p;
  }

  clear(): void {
    this.#cache.clear();
  }

  /**
   * A shared original is read again each time it is served, and the user may
   * have changed the file since: check it, so we never send peers pieces that
   * will fail (and cost us strikes). Hashing is ~100x faster than the channel.
   */
  async #readOriginal(index: number): Promise<Uint8Array | undefined> {
    const source = this.#o.source!;
    let data: Uint8Array;
    try {
      data = await source.readPiece(index);
    } catch (err) {
      // A browser refuses to read a File that changed (or went) since it was picked: say so once, as for a changed one.
      if (!this.#originalUnreadable) {
        this.#originalUnreadable = true;
        this.#onError(`${this.#o.meta.name} can no longer be read (${(err as Error).name || 'error'}): it was changed, moved or deleted since it was shared; share it again`);
      }
      return undefined;
    }
    // Checking again would only repeat what the platform guarantees (and cost a SHA-1 per served piece).
    if (source.unchanging) return data;
    if ((await this.#o.hasher.sha1(data)) === this.#o.meta.pieceHashes[index]) return data;
    if (!this.#originalChanged) {
      this.#originalChanged = true;
      this.#onError(`${this.#o.meta.name} changed since it was shared: its pieces no longer match; share it again`);
    }
    return undefined;
  }
}
