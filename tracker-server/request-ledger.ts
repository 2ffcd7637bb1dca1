/**
 * Request-id dedupe across failover, scoped to the requester.
 *
 * A client re-sends a request that was in flight when its tracker went away,
 * with the same id, possibly to another tracker. A request id is the
 * client's own, not a global name: the client says hello with a random
 * secret of its instance (`client`, kept for its lifetime), and the key of a
 * request is `rid` = a hash of (that secret, the request id). The op a
 * request made carries that `rid`, and ops replicate, so every tracker that
 * has the op knows the request was applied and answers the same client's
 * retry from the op instead of applying it again. The session cannot be the
 * scope: a client retries a sign-up or log-in before it has one. A client
 * that sends no secret gets one per connection (its retries elsewhere are
 * then new requests). Anyone else sending the same id has a different
 * `rid`: their request is their own, so a guessed or observed id yields
 * nothing, neither a reply in flight nor one rebuilt from an op. A replay of
 * an op with an actor is also given only to that actor. A retry that reaches
 * the same tracker while the first attempt is still running waits for that
 * attempt and gets its real reply.
 *
 * A reply that carried a fresh secret (a login's session token, an invite
 * token) cannot be rebuilt from the op, which keeps only its hash: such a
 * retry fails with `disconnected` (the code for "the reply was lost with
 * the connection"), and the person logs in again.
 *
 * A retry can still be applied twice: on a tracker that had not received the
 * first attempt's op (cut off, or killed between fsync and publish). Users
 * and groups created under a `rid` are keyed by it (`creationKey`), so both
 * copies name the same account or group and the merge keeps one of them
 * with nothing made under the other lost.
 *
 * How each request's reply is rebuilt from its op is that request's entry
 * in the request table (requests.ts `replay`); the ledger only knows keys
 * and ops.
 */
import { createHash } from 'node:crypto';
import { REQUEST_KEY_PREFIX, type Op } from '../protocol/ops.ts';

/**
 * The key of a client's request: it names the request for that client alone
 * (see above). `r:` and 128 bits of SHA-256, base64url (24 characters in
 * every op made for a request).
 */
export function requestKey(clientSecret: string, requestId: string): string {
  return REQUEST_KEY_PREFIX + createHash('sha256').update(clientSecret).update('\n').update(requestId).digest().subarray(0, 16).toString('base64url');
}

export class RequestLedger {
  /** rid → the first op made under it. */
  #applied = new Map<string, Op>();
  #inFlight = new Map<string, Promise<object>>();

  record(ops: Iterable<Op>): void {
    for (const op of ops) if (op.rid !== undefined && !this.#applied.has(op.rid)) this.#applied.set(op.rid, op);
  }

  get size(): number {
    return this.#applied.size;
  }

  /**
   * Runs `run` unless the request was already applied (answers with
   * `replay` of its op) or is running here for the same client (shares that
   * attempt's reply). `rid` is `requestKey(client secret, request.id)`;
   * `run` must stamp its ops with it.
   */
  handle(rid: string, run: () => object | Promise<object>, replay: (op: Op) => object): object | Promise<object> {
    const running = this.#inFlight.get(rid);
    if (running) return running;
    const done = this.#applied.get(rid);
    if (done) return replay(done);
    const ran = run();
    if (!(ran instanceof Promise)) return ran;
    // The first attempt's op can arrive from another tracker while this one
    // runs (a sign-up hashing its password): the check after the wait then
    // sees the name taken, by this very request. Answer from that op instead.
    const result = ran.catch((err: unknown) => {
      const arrived = this.#applied.get(rid);
      if (arrived) return replay(arrived);
      throw err;
    });
    this.#inFlight.set(rid, result);
    const forget = () => this.#inFlight.delete(rid);
    result.then(forget, forget);
    return result;
  }
}
