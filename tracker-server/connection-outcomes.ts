/**
 * The peer connection outcomes clients report (`connection_outcome`), counted
 * for `/metrics` as `meshdrop_peer_connections_total{outcome=...}`: how many
 * links came up direct, how many through a TURN relay, how many never did.
 * An operator reads from them whether the deployment needs TURN.
 *
 * The counts are only as honest as the clients, so each session has a budget
 * (a token bucket, OUTCOME_BURST and OUTCOMES_PER_MINUTE): one client cannot
 * move them much. Soft state, per tracker: a restart starts them from zero,
 * as Prometheus counters do.
 */
import { CONNECTION_OUTCOMES, OUTCOME_BURST, OUTCOMES_PER_MINUTE } from '../protocol/constants.ts';
import { TokenBucket } from './limits.ts';

export type ConnectionOutcome = (typeof CONNECTION_OUTCOMES)[number];

/**
 * Budgets kept at most for this many sessions (oldest first out): a forgotten
 * session starts a fresh budget, which needs this many other sessions to have
 * reported since, each one a log-in.
 */
const BUDGETS_KEPT = 10_000;

export class ConnectionOutcomes {
  readonly #counts: Record<ConnectionOutcome, number> = { direct: 0, relayed: 0, failed: 0 };
  /** Per session (its token hash), in insertion order, so the oldest is evicted first. */
  readonly #budgets = new Map<string, TokenBucket>();
  /** Reports refused for being over budget: an operator may want to know someone tried. */
  #refused = 0;

  /** Counts one outcome for a session; false (nothing counted) when its budget is spent. */
  record(session: string, outcome: ConnectionOutcome, now = Date.now()): boolean {
    let bucket = this.#budgets.get(session);
    if (!bucket) {
      bucket = new TokenBucket(OUTCOMES_PER_MINUTE / 60, OUTCOME_BURST, now);
      this.#budgets.set(session, bucket);
      if (this.#budgets.size > BUDGETS_KEPT) this.#budgets.delete(this.#budgets.keys().next().value!);
    }
    if (!bucket.take(now)) {
      this.#refused++;
      return false;
    }
    this.#counts[outcome]++;
    return true;
  }

  get counts(): Readonly<Record<ConnectionOutcome, number>> {
    return { ...this.#counts };
  }

  get refused(): number {
    return this.#refused;
  }

  /** For /metrics: the counters under their Prometheus names, labels included. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of CONNECTION_OUTCOMES) out[`meshdrop_peer_connections_total{outcome="${o}"}`] = this.#counts[o];
    return out;
  }
}
