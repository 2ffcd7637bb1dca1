/** Rate limits: per connection (messages), log-in attempts (per account and address) and sign-ups per address. */
import {
  LOGIN_ACCOUNT_BURST,
  LOGIN_ACCOUNT_PER_SECOND,
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_KNOWN_ADDRESS_MS,
  LOGIN_WINDOW_MS,
  SIGNUPS_PER_MINUTE,
} from '../protocol/constants.ts';

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
  /** Takes `n` tokens (one by default); false, taking none, when the bucket holds fewer. */
  take(now: number, n = 1): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}

/** A log-in that was let through to the password check: say how it ended. */
export interface LoginTicket {
  /** Right password: the attempt stops counting, and the address becomes known to the account. */
  succeeded(): void;
  /** Wrong password (or no such user): the attempt keeps counting for the window. */
  failed(): void;
}

/**
 * Log-in attempts, counted *before* the password is hashed: `begin` takes a
 * slot synchronously, so 300 guesses sent at once get at most the allowed
 * number checked (the old limiter recorded failures after the `await`, and
 * every concurrent guess passed the check).
 *
 * Three limits, because each stops a different attacker without handing any
 * of them a way to lock the owner out:
 *
 * - per (account, address), LOGIN_FAILURES_PER_ACCOUNT in the window,
 *   refused: one address guessing one account. Keyed by the pair, so a
 *   stranger's wrong passwords from their address never refuse the owner's
 *   attempts from theirs (the old per-account count let anyone lock anyone
 *   out with five wrong passwords).
 * - per address, LOGIN_FAILURES_PER_ADDRESS across accounts, refused: one
 *   address spraying one password over many accounts. Behind a proxy this is
 *   only per client with --trust-proxy (client-address.ts); without it every
 *   client shares the proxy's address.
 * - per account, across all addresses, a token bucket
 *   (LOGIN_ACCOUNT_BURST, then LOGIN_ACCOUNT_PER_SECOND): the distributed
 *   guesser, many addresses a few guesses each, which the pair limit alone
 *   would let through at (addresses × 5) a minute. It caps the guessing rate
 *   at about one every 2 s, whatever the number of addresses, and never
 *   refuses for a window: an attempt refused by it can be retried seconds
 *   later. An address that logged into the account before (in the last
 *   LOGIN_KNOWN_ADDRESS_MS) skips it, so the owner at home is not even slowed
 *   by a guesser elsewhere; only the owner on a new address competes with
 *   the guesser for the bucket, and gets through within seconds.
 *
 * In memory per tracker: a guesser spreading over trackers gets each
 * tracker's allowance, a small multiple of it.
 */
export class LoginLimiter {
  #byPair = new Map<string, number[]>();
  #byAddress = new Map<string, number[]>();
  #accounts = new Map<string, { bucket: TokenBucket; last: number }>();
  /** Per account: addresses that logged in, and when. */
  #known = new Map<string, Map<string, number>>();
  #signups = new Map<string, { bucket: TokenBucket; last: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a slot for one password check, or undefined (refused: answer rate_limited). */
  begin(userId: string, address: string): LoginTicket | undefined {
    const t = this.now();
    const pair = recent(this.#byPair, pairKey(userId, address), t);
    const byAddress = recent(this.#byAddress, address, t);
    if (pair.length >= LOGIN_FAILURES_PER_ACCOUNT || byAddress.length >= LOGIN_FAILURES_PER_ADDRESS) return undefined;
    const knownAt = this.#known.get(userId)?.get(address);
    if (knownAt === undefined || t - knownAt >= LOGIN_KNOWN_ADDRESS_MS) {
      let account = this.#accounts.get(userId);
      if (!account) this.#accounts.set(userId, (account = { bucket: new TokenBucket(LOGIN_ACCOUNT_PER_SECOND, LOGIN_ACCOUNT_BURST, t), last: t }));
      account.last = t;
      if (!account.bucket.take(t)) return undefined;
    }
    pair.push(t);
    byAddress.push(t);
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        remove(pair, t);
        remove(byAddress, t);
        let known = this.#known.get(userId);
        if (!known) this.#known.set(userId, (known = new Map()));
        known.delete(address);
        known.set(address, this.now());
        // A few addresses per account are plenty (home, work, phone); the oldest goes.
        if (known.size > KNOWN_ADDRESSES_PER_ACCOUNT) known.delete(known.keys().next().value!);
      },
      failed: () => {
        settled = true;
      },
    };
  }

  /**
   * One sign-up from this address, if its bucket allows (`burst` at once,
   * then SIGNUPS_PER_MINUTE); burst 0 means no limit.
   */
  signupAllowed(address: string, burst: number): boolean {
    if (burst <= 0) return true;
    const t = this.now();
    let entry = this.#signups.get(address);
    if (!entry) this.#signups.set(address, (entry = { bucket: new TokenBucket(SIGNUPS_PER_MINUTE / 60, burst, t), last: t }));
    entry.last = t;
    return entry.bucket.take(t);
  }

  /** Forget expired entries (called now and then, so the maps stay small). */
  sweep(): void {
    const t = this.now();
    for (const map of [this.#byPair, this.#byAddress]) {
      for (const [key, times] of map) if (times.every((x) => t - x >= LOGIN_WINDOW_MS)) map.delete(key);
    }
    // A bucket untouched for long enough has refilled: dropping it changes nothing.
    for (const [key, a] of this.#accounts) if (t - a.last > (LOGIN_ACCOUNT_BURST / LOGIN_ACCOUNT_PER_SECOND) * 1000) this.#accounts.delete(key);
    for (const [key, a] of this.#signups) if (t - a.last > 3600_000) this.#signups.delete(key);
    for (const [userId, known] of this.#known) {
      for (const [address, at] of known) if (t - at >= LOGIN_KNOWN_ADDRESS_MS) known.delete(address);
      if (known.size === 0) this.#known.delete(userId);
    }
  }
}

const KNOWN_ADDRESSES_PER_ACCOUNT = 8;
const pairKey = (userId: string, address: string) => `${userId}\n${address}`;

function remove(times: number[], t: number): void {
  const i = times.indexOf(t);
  if (i >= 0) times.splice(i, 1);
}

function recent(map: Map<string, number[]>, key: string, now: number): number[] {
  let times = map.get(key);
  if (!times) map.set(key, (times = []));
  while (times.length && now - times[0]! >= LOGIN_WINDOW_MS) times.shift();
  return times;
}
