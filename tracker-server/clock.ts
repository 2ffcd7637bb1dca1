/**
 * Hybrid logical clock as one number: wall-clock milliseconds × 1000 plus a
 * counter. Every stamp is above the last stamp and above every op seen from
 * other trackers, so a tracker's own ops always sort after what it knew when
 * it made them, and clocks that drift still give a total order with origin as
 * the tie-break. 1000 stamps per millisecond before the counter spills into
 * the next millisecond, which only moves the clock slightly ahead.
 *
 * A remote stamp is taken only up to MAX_REMOTE_CLOCK_AHEAD_MS ahead of this
 * tracker's wall time: one far-future op must not drag the clock (and with it
 * every expiry judged at an op's time) forward for good. Callers refuse ops
 * the clock does not accept (see mesh.ts receiveOps).
 */
import { MAX_REMOTE_CLOCK_AHEAD_MS } from '../protocol/constants.ts';

export class HybridClock {
  #last = 0;
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAheadMs: number = MAX_REMOTE_CLOCK_AHEAD_MS,
  ) {}

  stamp(): number {
    this.#last = Math.max(this.now() * 1000, this.#last + 1);
    return this.#last;
  }

  /** Whether an hlc seen elsewhere is within the bound ahead of wall time. */
  accepts(hlc: number): boolean {
    return hlc < (this.now() + this.maxAheadMs + 1) * 1000;
  }

  /** Tell the clock about an hlc seen elsewhere. Returns false (and ignores it) if it is too far ahead. */
  observe(hlc: number): boolean {
    if (!this.accepts(hlc)) return false;
    if (hlc > this.#last) this.#last = hlc;
    return true;
  }

  /** The milliseconds the next stamp will carry at least: what "now" means for an op made now. */
  nowMs(): number {
    return Math.max(this.now(), Math.floor((this.#last + 1) / 1000));
  }
}
