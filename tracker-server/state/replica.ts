/**
 * The set of ops a tracker knows and the state folded from them, in the total
 * order (hlc, origin). Pure: no I/O, no clock (the caller stamps ops).
 *
 * An op that sorts after everything applied so far (every local op, nearly
 * every replicated one) is folded in place. One that sorts earlier (it comes
 * from a tracker that was cut off) is inserted where it belongs and the state
 * is folded again from the start, so the result never depends on arrival order.
 */
import { compareOps, opId, type Op, type VersionVector } from '../../protocol/ops.ts';
import { applyOp } from './apply.ts';
import { emptyState, type State } from './model.ts';

export type AddResult = 'applied' | 'ineffective' | 'duplicate' | 'refolded';

export class Replica {
  #state: State = emptyState();
  /** Every op, sorted by (hlc, origin, seq). */
  #ops: Op[] = [];
  #ids = new Set<string>();
  #vv: VersionVector = {};
  #maxHlc = 0;
  /** Bumped on every change to the state (an op added, a refold): what caches of the state key on. */
  #version = 0;

  get state(): State {
    return this.#state;
  }
  get size(): number {
    return this.#ops.length;
  }
  /** Changes whenever the state may have changed (see DigestCache). */
  get version(): number {
    return this.#version;
  }
  /** Highest hlc seen: a tracker's clock must stay above it. */
  get maxHlc(): number {
    return this.#maxHlc;
  }
  /** Per origin, the highest seq held. With gap-free delivery per origin this says exactly what we have. */
  versionVector(): VersionVector {
    return { ...this.#vv };
  }
  has(op: Pick<Op, 'origin' | 'seq'>): boolean {
    return this.#ids.has(`${op.origin}:${op.seq}`);
  }

  /** Adds one op; returns what happened to it. */
  add(op: Op): AddResult {
    const id = opId(op);
    if (this.#ids.has(id)) return 'duplicate';
    this.#remember(op, id);
    const last = this.#ops[this.#ops.length - 1];
    if (!last || compareOps(last, op) < 0) {
      this.#ops.push(op);
      return applyOp(this.#state, op) ? 'applied' : 'ineffective';
    }
    this.#ops.splice(this.#insertionIndex(op), 0, op);
    this.#refold();
    return 'refolded';
  }

  /** Adds many ops with at most one refold: the catch-up path. */
  addMany(ops: Iterable<Op>): number {
    let added = 0;
    let outOfOrder = false;
    for (const op of ops) {
      const id = opId(op);
      if (this.#ids.has(id)) continue;
      this.#remember(op, id);
      const last = this.#ops[this.#ops.length - 1];
      if (!outOfOrder && (!last || compareOps(last, op) < 0)) {
        this.#ops.push(op);
        applyOp(this.#state, op);
      } else {
        outOfOrder = true;
        this.#ops.push(op);
      }
      added++;
    }
    if (outOfOrder) {
      this.#ops.sort(compareOps);
      this.#refold();
    }
    return added;
  }

  /**
   * Takes ops back out, as if they had never come (their write to disk
   * failed), and folds the state again. Rare, so simple: one pass and one
   * refold, whatever the number of ops.
   */
  remove(ops: Iterable<Op>): number {
    const gone = new Set<string>();
    for (const op of ops) {
      const id = opId(op);
      if (this.#ids.delete(id)) gone.add(id);
    }
    if (gone.size === 0) return 0;
    this.#ops = this.#ops.filter((op) => !gone.has(opId(op)));
    this.#vv = {};
    for (const op of this.#ops) if (op.seq > (this.#vv[op.origin] ?? 0)) this.#vv[op.origin] = op.seq;
    this.#refold();
    return gone.size;
  }

  /** Every op with a seq above what `vv` holds for its origin, in fold order: what a peer with `vv` lacks. */
  *opsAfter(vv: VersionVector): Generator<Op> {
    for (const op of this.#ops) if (op.seq > (vv[op.origin] ?? 0)) yield op;
  }

  allOps(): readonly Op[] {
    return this.#ops;
  }

  #remember(op: Op, id: string): void {
    this.#ids.add(id);
    this.#version++;
    if (op.seq > (this.#vv[op.origin] ?? 0)) this.#vv[op.origin] = op.seq;
    if (op.hlc > this.#maxHlc) this.#maxHlc = op.hlc;
  }

  #insertionIndex(op: Op): number {
    let lo = 0;
    let hi = this.#ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOps(this.#ops[mid]!, op) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #refold(): void {
    this.#version++;
    this.#state = emptyState();
    for (const op of this.#ops) applyOp(this.#state, op);
  }
}
