/** Rate limits: per connection (messages) and per account and address (failed log-ins). */
import { LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW_MS } from '../../protocol/constants.ts';

/** A token bucket in two numbers: cheap enough to keep one per connection. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }
  /** Takes one token; false when the bucket is empty. */
  take(now: number): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Failed log-ins in a sliding window, per account and per address. */
export class LoginLimiter {
  #byAccount = new Map<string, number[]>();
  #byAddress = new Map<string, number[]>();
  constructor(private readonly now: () => number = Date.now) {}

  allowed(userId: string, address: string): boolean {
    const t = this.now();
    return (
      recent(this.#byAccount, userId, t).length < LOGIN_FAILURES_PER_ACCOUNT &&
      recent(this.#byAddress, address, t).length < LOGIN_FAILURES_PER_ADDRESS
    );
  }
  failed(userId: string, address: string): void {
    const t = this.now();
    recent(this.#byAccount, userId, t).push(t);
    recent(this.#byAddress, address, t).push(t);
  }
  /** Forget expired entries (called now and then, so the maps stay small). */
  sweep(): void {
    const t = this.now();
    for (const map of [this.#byAccount, this.#byAddress]) {
      for (const [key, times] of map) if (times.every((x) => t - x >= LOGIN_WINDOW_MS)) map.delete(key);
    }
  }
}

function recent(map: Map<string, number[]>, key: string, now: number): number[] {
  let times = map.get(key);
  if (!times) map.set(key, (times = []));
  while (times.length && now - times[0]! >= LOGIN_WINDOW_MS) times.shift();
  return times;
}
