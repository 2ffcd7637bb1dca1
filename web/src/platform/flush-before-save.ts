/**
 * Orders a download's record saves after the flush of the pieces they
 * claim. The OPFS worker writes pieces without flushing them (a flush per
 * piece cost the downloading browser CPU and a disk round trip for every
 * 512 KiB, docs/transfer-profile.md); the store asks this gate before each
 * record save, so a saved `have` bitfield never claims a piece that a power
 * cut could still take. One flush then covers every piece written since the
 * last save: at most one a second while a download runs (the engine saves
 * progress that often).
 *
 * Pure bookkeeping: the flush itself is the caller's (a request to the
 * worker, which answers it after the writes sent before it).
 */
export class FlushBeforeSave {
  readonly #flush: (fileId: string) => Promise<void>;
  /** Files with pieces written since their last flush began. */
  readonly #unflushed = new Set<string>();
  /** The latest flush per file while it runs: a save that needs no new flush still waits for it. */
  readonly #running = new Map<string, Promise<void>>();

  constructor(flush: (fileId: string) => Promise<void>) {
    this.#flush = flush;
  }

  /** A piece of the file was written (its write answered) and is not flushed yet. */
  written(fileId: string): void {
    this.#unflushed.add(fileId);
  }

  /**
   * Resolves once every piece of the file written before this call is
   * flushed, starting a flush if one is needed; rejects if that flush
   * failed (the next call flushes again).
   */
  async settled(fileId: string): Promise<void> {
    if (this.#unflushed.delete(fileId)) {
      const flush = this.#flush(fileId);
      this.#running.set(fileId, flush);
      flush.then(
        () => this.#ended(fileId, flush),
        () => {
          this.#unflushed.add(fileId);
          this.#ended(fileId, flush);
        },
      );
    }
    await this.#running.get(fileId);
  }

  /** The file's pieces are gone (deleted): nothing of it is left to flush. */
  forget(fileId: string): void {
    this.#unflushed.delete(fileId);
  }

  #ended(fileId: string, flush: Promise<void>): void {
    if (this.#running.get(fileId) === flush) this.#running.delete(fileId);
  }
}
