/**
 * A DurableLog in memory, for driving the tracker core and its handlers
 * without a disk. `failNext` makes appends fail as a full disk does: the op
 * and everything queued with it are dropped, and the core is told.
 */
import type { Op } from '../../protocol/ops.ts';
import type { DurableLog, OpenedLog } from '../../tracker-server/store/durable-log.ts';

export class MemoryLog implements DurableLog {
  readonly ops: Op[] = [];
  appendedSinceSnapshot = 0;
  failing = false;
  onDropped: ((ops: Op[], err: Error) => void) | undefined;
  /** The next appends fail (until cleared). */
  failNext = false;
  #held: Promise<void> | undefined;

  /** Appends from now on wait (writes "on their way to disk") until the returned release is called. */
  hold(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  get refusing(): boolean {
    return false;
  }

  async append(op: Op): Promise<void> {
    await (this.#held ?? Promise.resolve()); // durable "later", as a real fsync is
    if (this.failNext) {
      this.failing = true;
      const err = new Error('ENOSPC: no space left on device (memory log)');
      this.onDropped?.([op], err);
      throw err;
    }
    this.failing = false;
    this.ops.push(op);
    this.appendedSinceSnapshot++;
  }

  async snapshot(): Promise<void> {
    this.appendedSinceSnapshot = 0;
  }

  async close(): Promise<void> {}

  opened(): Promise<OpenedLog> {
    return Promise.resolve({ log: this, recovered: { tail: [...this.ops], tornBytes: 0, repairs: [] } });
  }
}
