/**
 * The tracker connection's liveness check (client/tracker.ts): now and then,
 * that the tracker still answers. A socket whose other end vanished without
 * closing it would otherwise look open until TCP gives up, minutes later;
 * the client moves to another tracker instead, and re-sends what was in
 * flight. Idle, it pings after CLIENT_IDLE_PING_MS of quiet; with a request
 * waiting, after CLIENT_REQUEST_PING_MS, and then gives up sooner (see
 * protocol/constants.ts).
 */

export interface LivenessTimings {
  /** Ping after this long without hearing anything. */
  idlePingMs: number;
  /** Give the tracker up if a ping gets nothing back in this long. */
  pingTimeoutMs: number;
  /** Busy: ping when a request has had no answer (and nothing was heard) for this long. */
  requestPingMs: number;
  /** Busy: with requests in flight, give the tracker up after this long without a pong. */
  busyPingTimeoutMs: number;
}

/** What the check needs of the connection it watches (one socket). */
export interface LivenessHooks {
  /** The socket watched is still the client's current one. */
  current(): boolean;
  /** When the longest-waiting request went out on this socket, if any is waiting. */
  oldestUnanswered(): number | undefined;
  ping(): void;
  /** No answer in time: give this socket up. */
  silent(): void;
}

export class Liveness {
  readonly #t: LivenessTimings;
  /** When anything last arrived on the current socket. */
  #lastHeard = 0;
  /** When the outstanding ping went out, if one is outstanding. */
  #pingSentAt: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(timings: LivenessTimings) {
    this.#t = timings;
  }

  /** Anything at all arrived: it proves the tracker is there. */
  heard(): void {
    this.#lastHeard = Date.now();
    this.#pingSentAt = undefined;
  }

  start(hooks: LivenessHooks): void {
    this.stop();
    this.heard();
    const t = this.#t;
    const every = Math.max(50, Math.min(t.idlePingMs, t.pingTimeoutMs, t.requestPingMs, t.busyPingTimeoutMs) / 4);
    this.#timer = setInterval(() => {
      if (!hooks.current()) return this.stop();
      const now = Date.now();
      const waiting = hooks.oldestUnanswered();
      if (this.#pingSentAt !== undefined) {
        const limit = waiting === undefined ? t.pingTimeoutMs : Math.min(t.pingTimeoutMs, t.busyPingTimeoutMs);
        if (now - this.#pingSentAt < limit) return;
        // Silence: drop this socket without waiting for its close, and move on.
        this.stop();
        hooks.silent();
        return;
      }
      const quiet = now - this.#lastHeard;
      const stuck = waiting !== undefined && now - waiting >= t.requestPingMs && quiet >= t.requestPingMs;
      if (quiet >= t.idlePingMs || stuck) {
        this.#pingSentAt = now;
        hooks.ping();
      }
    }, every);
    // In Node (tests, a command line), liveness checks alone must not keep the process running.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
