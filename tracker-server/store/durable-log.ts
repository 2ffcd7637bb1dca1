/**
 * What the tracker core needs of its durable log: the port between
 * `core.ts` and `store/oplog.ts`. The op log on disk is the one real
 * implementation; tests can hand the core a log in memory, so handlers run
 * without sockets or a disk.
 */
import type { Op } from '../../protocol/ops.ts';

export interface DurableLog {
  /** Resolves once the op is durable; rejects if it never will be (then `onDropped` names every op lost with it). */
  append(op: Op): Promise<void>;
  /** Compacts the history so far (`ops` must hold every op appended). */
  snapshot(ops: readonly Op[]): Promise<void>;
  close(): Promise<void>;
  /** Ops appended since the last snapshot: the core's cue to take one. */
  readonly appendedSinceSnapshot: number;
  /** The last write failed and none has succeeded since. */
  readonly failing: boolean;
  /** A write now would be refused without trying (the storage failed a moment ago). */
  readonly refusing: boolean;
  /** Told which appended ops will never be durable, so the core takes them back out. */
  onDropped: ((ops: Op[], err: Error) => void) | undefined;
}

/** What opening a log gives back: the log, and the ops it already held. */
export interface OpenedLog {
  log: DurableLog;
  recovered: {
    snapshot?: { ops: readonly Op[] };
    tail: Op[];
    tornBytes: number;
    repairs: string[];
  };
}
