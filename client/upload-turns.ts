/**
 * Who may send the next block under an upload cap: the request that arrived
 * first, whichever link it came on.
 *
 * Why: with one cap shared by every link, each link's serve loop used to
 * sleep until the bucket was out of debt and the first to wake took the
 * tokens, so eight downloaders each got a block in turn and every 512 KiB
 * piece took eight times as long to complete. Nobody can pass on a piece
 * before it is complete and verified, so the swarm sat waiting on eight
 * half-sent pieces. Served in the order requests arrived, a downloader's
 * pipelined blocks of one piece go out back to back: pieces complete at the
 * full cap, one after another, and are passed on while the next is sent.
 *
 * A request may carry a rank, read when turns are handed out: lower goes
 * first, then the order of arrival. The swarm ranks a block by how many other
 * links were already sent blocks of its piece (client/swarm.ts), so a capped
 * seeder sends every piece to someone before it sends any piece twice: eight
 * downloaders picking the rarest pieces at random ask it for the same ones,
 * and served in arrival order those copies were what it spent its cap on
 * (1.6–1.8× the file for eight, and all eight waited on it). A copy is only
 * put off, never refused: with nothing fresher waiting it goes at once.
 *
 * Pure apart from the timers, which are injected so tests need not wait.
 */
import type { TokenBucket } from './rate.ts';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Turn {
  /** True once it is this request's turn (its tokens are taken); false if cancelled. */
  readonly ready: Promise<boolean>;
  cancel(): void;
}

interface Waiter {
  ticket: number;
  bytes: number;
  rank: (() => number) | undefined;
  resolve(granted: boolean): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class UploadTurns {
  #next = 0;
  #waiters: Waiter[] = [];
  #timer: unknown;

  constructor(
    readonly bucket: TokenBucket,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A place in line, taken when a request arrives. */
  ticket(): number {
    return this.#next++;
  }

  /** Waits for `ticket`'s turn under the cap (lower `rank` first, see the top), then spends `bytes` of it. */
  turn(ticket: number, bytes: number, rank?: () => number): Turn {
    if (this.#waiters.length === 0 && this.bucket.waitMs() === 0) {
      this.bucket.take(bytes);
      return { ready: Promise.resolve(true), cancel: () => undefined };
    }
    let waiter!: Waiter;
    const ready = new Promise<boolean>((resolve) => (waiter = { ticket, bytes, rank, resolve }));
    // Kept in ticket order: a request that arrived earlier goes first, whenever it asked.
    const at = this.#waiters.findIndex((w) => w.ticket > ticket);
    this.#waiters.splice(at < 0 ? this.#waiters.length : at, 0, waiter);
    this.#pump();
    return {
      ready,
      cancel: () => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        waiter.resolve(false);
        this.#pump();
      },
    };
  }

  /** The cap changed: whoever waits may go sooner. */
  poke(): void {
    this.#pump();
  }

  /** The waiter whose turn it is: lowest rank, then earliest ticket (the list is in ticket order). */
  #nextIndex(): number {
    let best = 0;
    let bestRank = Infinity;
    for (let i = 0; i < this.#waiters.length; i++) {
      const rank = this.#waiters[i]!.rank?.() ?? 0;
      if (rank < bestRank) {
        bestRank = rank;
        best = i;
        if (rank <= 0) break;
      }
    }
    return best;
  }

  #pump(): void {
    if (this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#waiters.length > 0) {
      const wait = this.bucket.waitMs();
      if (wait > 0) {
        this.#timer = this.timers.setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      const first = this.#waiters.splice(this.#nextIndex(), 1)[0]!;
      this.bucket.take(first.bytes);
      first.resolve(true);
    }
  }
}
