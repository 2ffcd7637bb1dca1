/**
 * The durable op log. Ops are appended as JSON lines and fsynced before the
 * tracker says "ok" (appends that arrive together share one fsync: group
 * commit). A snapshot compacts the history so far into one file, so a
 * restart reads one snapshot and a short log instead of many generations.
 *
 * Why the snapshot holds ops and not the folded state: a tracker keeps its
 * whole history in memory anyway (peers catch up from it; an op that arrives
 * out of order refolds from it), so start-up must parse every op regardless.
 * Measured with 100k ops (bench/startup.ts): parsing takes ~280 ms, the fold
 * ~40 ms; a snapshot that also carried the state parsed ~40% more bytes and
 * started 3x slower than replaying the log.
 *
 * On disk, in the data dir:
 *   snapshot.json         format 3, JSON lines: a header {format, logGeneration, ops: count},
 *                          then every op, one line each, in fold order; written to a temp file,
 *                          fsynced, renamed: whole or absent. (Format 2, one JSON object, is still read.)
 *   ops.<generation>.log  the ops since that snapshot, one JSON line each
 * Both are read and written in chunks (store/lines.ts), never as one string:
 * a history may be far larger than the biggest string V8 can hold.
 *
 * Taking a snapshot starts a new log generation; once the snapshot is durable
 * the older generations are deleted. A crash at any point leaves either the
 * old snapshot with every log, or the new one with the logs it does not cover.
 *
 * A failed write (a full disk, an I/O error; a short write counts) fails every
 * append not yet durable: the batch being written and all queued behind it,
 * so a tracker's own ops never have a hole in their numbering. `onDropped`
 * hears at once (synchronously) which ops were lost, so the caller takes them
 * back out before anything else runs; the file is then cut back to its last
 * durable length, so the log is exactly as it was, and only then are the
 * appends rejected. The next append tries again (and, if cutting back
 * failed, cuts back first).
 *
 * A crash can tear the last line of the newest log. That line was never
 * acknowledged (its fsync did not return), so it is dropped; the same for the
 * last log with content when only empty logs follow it (a snapshot started a
 * generation just before the crash). A leftover snapshot.json.tmp is removed.
 * An empty snapshot.json is set aside when the logs still hold everything
 * (none was ever deleted). Anything else that does not parse is real
 * corruption and stops the start-up with its location.
 *
 * The files' formats, read and written, are store/log-files.ts; this is the
 * live log: group commit, failure handling, snapshots' life cycle.
 */
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Op } from '../../protocol/ops.ts';
import type { DurableLog } from './durable-log.ts';
import { writeAll } from './lines.ts';
import { LOG_PATTERN, logName, readLog, readSnapshot, SNAPSHOT, syncDir, writeSnapshot } from './log-files.ts';

/**
 * After a failed write, writes are refused at once (without touching the
 * disk) for this long, then the next one tries the disk again: a failed try
 * costs a refold of the whole state (the dropped ops come back out), so a
 * flood of writes on a full disk must not make one each. Short enough that
 * a freed disk is noticed by the next write a person makes.
 */
export const STORAGE_RETRY_MS = 250;
export interface Recovered {
  /** From the snapshot: every op it covers, in fold order. */
  snapshot?: { ops: readonly Op[] };
  /** From the logs after the snapshot, in append order. */
  tail: Op[];
  /** Torn bytes dropped from the end of the newest log, if any. */
  tornBytes: number;
  /** What start-up repaired, for the operator (a leftover of a crash or a full disk). */
  repairs: string[];
}

interface Pending {
  op: Op;
  line: string;
  /** The log generation the line belongs to, fixed when it was appended. */
  generation: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class OpLog implements DurableLog {
  #dir: string;
  /** The generation new appends go to. */
  #generation: number;
  /** The open file and the generation it is. */
  #file: FileHandle;
  #fileGeneration: number;
  /** Bytes of the open file known durable: where a failed write is cut back to. */
  #goodLength: number;
  /** The open file may hold bytes past #goodLength (a cut-back failed): cut back before writing. */
  #dirty = false;
  /** The oldest generation that may still have a file on disk. */
  #oldestGeneration: number;
  #queue: Pending[] = [];
  /** Woken when the writer switches files or goes idle. */
  #writerMoved: (() => void)[] = [];
  #flushing: Promise<void> | null = null;
  #appendedSinceSnapshot = 0;
  /** Failed writes so far: a snapshot taken across one is dropped (it may hold a dropped op). */
  #failures = 0;
  #failing = false;
  #failedAt = 0;
  #closed = false;
  /**
   * Called synchronously when a write fails, with every op it drops (in
   * append order), before any of their appends is rejected and before the
   * file is cut back: the caller takes them back out at once, so nothing
   * decided after the failure builds on them.
   */
  onDropped: ((ops: Op[], err: Error) => void) | undefined;

  private constructor(dir: string, generation: number, file: FileHandle, size: number, appended: number) {
    this.#dir = dir;
    this.#generation = generation;
    this.#file = file;
    this.#fileGeneration = generation;
    this.#goodLength = size;
    this.#oldestGeneration = generation;
    this.#appendedSinceSnapshot = appended;
  }

  /** Opens (creating if needed) the log in `dir` and returns what it held. */
  static async open(dir: string): Promise<{ log: OpLog; recovered: Recovered }> {
    await mkdir(dir, { recursive: true });
    const repairs: string[] = [];
    // A snapshot cut short by a crash or a full disk: never renamed into place, so never used.
    await rm(join(dir, SNAPSHOT + '.tmp'), { force: true });
    const generations = (await readdir(dir))
      .map((name) => LOG_PATTERN.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const snapshot = await readSnapshot(dir, generations, repairs);
    const firstGeneration = snapshot?.logGeneration ?? 1;

    const live = generations.filter((g) => g >= firstGeneration);
    const sizes = await Promise.all(live.map(async (g) => (await stat(join(dir, logName(g)))).size));
    // The log a crash can have torn: the newest with anything in it. Empty ones after it are
    // generations a snapshot started just before the crash (or a full disk) stopped everything.
    let lastWithContent = -1;
    for (const [i, size] of sizes.entries()) if (size > 0) lastWithContent = i;
    const tail: Op[] = [];
    let tornBytes = 0;
    for (const [i, generation] of live.entries()) {
      const path = join(dir, logName(generation));
      const result = await readLog(path, i === lastWithContent, tail);
      tornBytes += result.tornBytes;
      if (result.tornBytes > 0 && i !== live.length - 1) {
        repairs.push(`${path}: cut ${result.tornBytes} torn bytes from its end (only empty logs follow it)`);
      }
    }
    // Generations the snapshot already holds: left over from a crash right after it.
    for (const g of generations) if (g < firstGeneration) await rm(join(dir, logName(g)), { force: true });

    const generation = live.length ? live[live.length - 1]! : firstGeneration;
    const path = join(dir, logName(generation));
    const file = await open(path, 'a');
    const { size } = await file.stat();
    const log = new OpLog(dir, generation, file, size, tail.length);
    const recovered: Recovered = { tail, tornBytes, repairs };
    if (snapshot) recovered.snapshot = { ops: snapshot.ops };
    return { log, recovered };
  }

  /** Ops appended since the last snapshot: the caller's cue to take one. */
  get appendedSinceSnapshot(): number {
    return this.#appendedSinceSnapshot;
  }

  /** The last write failed and none has succeeded since (the disk is full, or failing). */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Whether a write should be refused without trying: the disk failed less
   * than STORAGE_RETRY_MS ago, or a try is under way. Otherwise the next
   * append is that try.
   */
  get refusing(): boolean {
    return this.#failing && (this.#flushing !== null || Date.now() - this.#failedAt < STORAGE_RETRY_MS);
  }

  /** Resolves once the op is on disk (fsynced); rejects if it never will be (see onDropped). */
  append(op: Op): Promise<void> {
    if (this.#closed) {
      // A write that comes during shutdown: dropped like a failed one, so the caller takes it back.
      const err = new Error('op log is closed');
      this.onDropped?.([op], err);
      return Promise.reject(err);
    }
    this.#appendedSinceSnapshot++;
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, line: JSON.stringify(op) + '\n', generation: this.#generation, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Writes a snapshot of `ops` and drops the logs it covers. `ops` must hold
   * every op appended so far: call it synchronously after the last append you
   * want covered. Appends made while it runs go to a new generation, which
   * the snapshot does not cover and so keeps. Some of `ops` may still be on
   * their way to disk: the snapshot is put in place only once they are
   * durable, and dropped (the old one and every log kept) if a write failed
   * meanwhile, or if the snapshot itself cannot be written.
   */
  async snapshot(ops: readonly Op[]): Promise<void> {
    const covered = this.#generation;
    // The caller's array may change while this runs (ops added, or dropped by a failed write).
    const list = ops.slice();
    const failuresBefore = this.#failures;
    this.#generation = covered + 1;
    this.#appendedSinceSnapshot = 0;

    const tmp = join(this.#dir, SNAPSHOT + '.tmp');
    try {
      await writeSnapshot(tmp, covered + 1, list);
      // Lines of the covered generations may still be queued: let them land before the snapshot
      // replaces their files. Wait for the writer to move past them, not for an idle queue, which
      // under steady writes may never come.
      while (this.#fileGeneration <= covered) {
        if (!this.#flushing) {
          // Nothing was appended since: move to the new file now, so the covered one can go.
          // The switch holds the flush slot, so an append meanwhile waits for it.
          this.#flushing = this.#switchTo(covered + 1).finally(() => {
            this.#flushing = null;
            if (this.#queue.length > 0) this.#flushing = this.#flush();
          });
          await this.#flushing;
          break;
        }
        await new Promise<void>((resolve) => this.#writerMoved.push(resolve));
      }
      if (this.#failures !== failuresBefore) throw new Error('an append failed while the snapshot was written; snapshot dropped');
      await rename(tmp, join(this.#dir, SNAPSHOT));
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await syncDir(this.#dir);
    for (let g = covered; g >= this.#oldestGeneration; g--) {
      if (g !== this.#fileGeneration) await rm(join(this.#dir, logName(g)), { force: true });
    }
    this.#oldestGeneration = Math.min(covered + 1, this.#fileGeneration);
  }

  /** Flushes what is queued and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#file.close();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      // One batch = the queued lines of one generation: one write, one fsync.
      const generation = this.#queue[0]!.generation;
      let n = 0;
      while (n < this.#queue.length && this.#queue[n]!.generation === generation) n++;
      const batch = this.#queue.splice(0, n);
      try {
        if (generation !== this.#fileGeneration) await this.#switchTo(generation);
        if (this.#dirty) await this.#cutBack();
        const data = Buffer.from(batch.map((p) => p.line).join(''));
        this.#dirty = true;
        await writeAll(this.#file, data);
        await this.#file.datasync();
        this.#dirty = false;
        this.#goodLength += data.length;
        this.#failing = false;
        for (const p of batch) p.resolve();
      } catch (err) {
        // Everything not yet durable goes: later lines must not land after a hole.
        const dropped = batch.concat(this.#queue.splice(0));
        this.#failures++;
        this.#failing = true;
        this.#failedAt = Date.now();
        try {
          this.onDropped?.(dropped.map((p) => p.op), err as Error);
        } catch (hookErr) {
          console.error('op log: onDropped failed:', hookErr);
        }
        if (this.#dirty) await this.#cutBack().catch((cutErr) => console.error(`op log: could not cut the log back (will retry before the next write): ${(cutErr as Error).message}`));
        for (const p of dropped) p.reject(err as Error);
      }
    }
    this.#flushing = null;
    for (const wake of this.#writerMoved.splice(0)) wake();
  }

  /** Cuts the open file back to its durable length, so a failed write leaves no trace. */
  async #cutBack(): Promise<void> {
    await this.#file.truncate(this.#goodLength);
    await this.#file.datasync();
    this.#dirty = false;
  }

  async #switchTo(generation: number): Promise<void> {
    const next = await open(join(this.#dir, logName(generation)), 'a');
    try {
      await syncDir(this.#dir);
      const { size } = await next.stat();
      const old = this.#file;
      this.#file = next;
      this.#fileGeneration = generation;
      this.#goodLength = size;
      this.#dirty = false;
      for (const wake of this.#writerMoved.splice(0)) wake();
      await old.close();
    } catch (err) {
      if (this.#file !== next) await next.close().catch(() => undefined);
      throw err;
    }
  }
}

