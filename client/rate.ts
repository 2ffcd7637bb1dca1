/**
 * Rates: a token bucket to cap them, a meter to measure them. Pure apart from
 * the clock, which is injected so tests need not wait.
 */

export type Clock = () => number;

/**
 * Caps a byte rate. `take(n)` spends n tokens (it may go into debt, so a
 * block larger than the burst still passes) and returns how long the caller
 * should wait before spending again: 0 while the bucket is not in debt.
 * A rate of Infinity (or ≤ 0) means no cap.
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;

  constructor(
    bytesPerSecond: number,
    private readonly now: Clock,
    burstBytes?: number,
  ) {
    this.#rate = normalise(bytesPerSecond);
    this.#burst = burstBytes ?? defaultBurst(this.#rate);
    this.#tokens = this.#burst;
    this.#last = now();
  }

  get rate(): number {
    return this.#rate;
  }

  setRate(bytesPerSecond: number, burstBytes?: number): void {
    this.#refill();
    this.#rate = normalise(bytesPerSecond);
    this.#burst = burstBytes ?? defaultBurst(this.#rate);
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** Milliseconds until a `take` would not have to wait. */
  waitMs(): number {
    if (this.#rate === Infinity) return 0;
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }

  /** Spends n tokens; returns the wait before the next spend (0 if none). */
  take(n: number): number {
    if (this.#rate === Infinity) return 0;
    this.#refill();
    this.#tokens -= n;
    return this.waitMs();
  }

  #refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.#last) / 1000;
    this.#last = t;
    if (this.#rate !== Infinity) this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
  }
}

const normalise = (r: number): number => (!Number.isFinite(r) || r <= 0 ? Infinity : r);
/** A quarter second of rate: smooth enough for a cap, large enough for a whole 64 KiB block at ≥ 256 KiB/s. */
const defaultBurst = (rate: number): number => (rate === Infinity ? Infinity : Math.max(rate / 4, 1));

/** The shortest history a rate is read over, seconds (see RateMeter.rate). */
const MIN_WINDOW_S = 1;

/**
 * Measures a rate over a sliding window of one-second slots. `rate()` is the
 * mean over the window's full seconds plus the current one (one second at
 * least), so a transfer that stops reads 0 within WINDOW seconds.
 */
export class RateMeter {
  static readonly WINDOW = 5;
  #slots = new Float64Array(RateMeter.WINDOW);
  #slotSecond: number;
  #start: number;
  total = 0;

  constructor(private readonly now: Clock) {
    this.#start = now();
    this.#slotSecond = Math.floor(this.#start / 1000);
  }

  add(bytes: number): void {
    this.#advance();
    this.#slots[this.#slotSecond % RateMeter.WINDOW]! += bytes;
    this.total += bytes;
  }

  /** Bytes per second. */
  rate(): number {
    this.#advance();
    const t = this.now();
    // Seconds covered: the full slots behind us (as many as have existed) plus the current fraction.
    // At least one second: the first blocks of a capped download come as a burst (the
    // bucket starts full), and read over the few milliseconds they took they showed
    // several times the cap (4.1 MB/s under 1,000 KB/s, issue 12).
    const elapsed = Math.max(MIN_WINDOW_S, Math.min(RateMeter.WINDOW - 1 + (t % 1000) / 1000, (t - this.#start) / 1000));
    let sum = 0;
    for (const s of this.#slots) sum += s;
    return sum / elapsed;
  }

  #advance(): void {
    const second = Math.floor(this.now() / 1000);
    for (let s = this.#slotSecond + 1; s <= second && s <= this.#slotSecond + RateMeter.WINDOW; s++) this.#slots[s % RateMeter.WINDOW] = 0;
    this.#slotSecond = Math.max(this.#slotSecond, second);
  }
}
