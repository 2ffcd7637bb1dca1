/**
 * Hybrid logical clock as one number: wall-clock milliseconds × 1000 plus a
 * counter. Every stamp is above the last stamp and above every op seen from
 * other trackers, so a tracker's own ops always sort after what it knew when
 * it made them, and clocks that drift still give a total order with origin as
 * the tie-break. 1000 stamps per millisecond before the counter spills into
 * the next millisecond, which only moves the clock slightly ahead.
 */
export class HybridClock {
  #last = 0;
  constructor(private readonly now: () => number = Date.now) {}

  stamp(): number {
    this.#last = Math.max(this.now() * 1000, this.#last + 1);
    return this.#last;
  }

  /** Tell the clock about an hlc seen elsewhere. */
  observe(hlc: number): void {
    if (hlc > this.#last) this.#last = hlc;
  }
}
