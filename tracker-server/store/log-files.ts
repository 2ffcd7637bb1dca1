/**
 * The op log's files on disk, as formats: a snapshot written whole (temp
 * file, fsync, rename) and read back (format 3, JSON lines; format 2, one
 * object), a log generation read line by line with its torn tail dropped,
 * and a directory fsync. Everything is read and written in chunks
 * (lines.ts), never as one string. The live log (oplog.ts) decides when.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Op } from '../../protocol/ops.ts';
import { readLines, writeAll } from './lines.ts';

export const SNAPSHOT = 'snapshot.json';
/** 3: JSON lines (header, then one op a line). 2: one JSON object, still read. */
const SNAPSHOT_FORMAT = 3;
const OLD_SNAPSHOT_FORMAT = 2;
export const logName = (generation: number) => `ops.${generation}.log`;
export const LOG_PATTERN = /^ops\.(\d+)\.log$/;
/** Snapshot lines are gathered into writes of about this size: few syscalls, little memory. */
const WRITE_CHUNK_CHARS = 1 << 20;

interface SnapshotHeader {
  format: number;
  /** The first log generation *not* contained in this snapshot. */
  logGeneration: number;
  /** Format 3: how many op lines follow. */
  ops: number;
}

export interface SnapshotRead {
  logGeneration: number;
  ops: Op[];
}

/** Writes a format-3 snapshot to `path`, in chunks, and fsyncs it. */
export async function writeSnapshot(path: string, logGeneration: number, ops: readonly Op[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let chunk = JSON.stringify({ format: SNAPSHOT_FORMAT, logGeneration, ops: ops.length } satisfies SnapshotHeader) + '\n';
    for (const op of ops) {
      chunk += JSON.stringify(op) + '\n';
      if (chunk.length >= WRITE_CHUNK_CHARS) {
        await writeAll(handle, Buffer.from(chunk));
        chunk = '';
      }
    }
    if (chunk.length > 0) await writeAll(handle, Buffer.from(chunk));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readSnapshot(dir: string, generations: readonly number[], repairs: string[]): Promise<SnapshotRead | undefined> {
  const path = join(dir, SNAPSHOT);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    if ((await handle.stat()).size === 0) {
      // Written to a temp file, fsynced, renamed: an empty one means a disk or file system that
      // did not keep what it said it had. Harmless while the logs still hold everything (the first
      // generation is still there, so no snapshot ever replaced a log); otherwise ops are gone.
      if (generations.length > 0 && generations[0] === 1) {
        await handle.close();
        await rm(path, { force: true });
        repairs.push(`${path} was empty; removed it and replayed the logs, which hold every op`);
        return undefined;
      }
      throw new Error(`${path} is empty and the logs it replaced are gone; restore it from a backup or another tracker's data dir (refusing to start with ops missing)`);
    }
    let header: SnapshotHeader | undefined;
    const ops: Op[] = [];
    let lineNo = 0;
    for await (const line of readLines(handle)) {
      lineNo++;
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch {
        throw new Error(`${path}:${lineNo}: corrupt snapshot record; refusing to start`);
      }
      if (!header) {
        const h = value as SnapshotHeader | null;
        if (h?.format === OLD_SNAPSHOT_FORMAT) {
          // Format 2: the whole snapshot is this one line (JSON.stringify writes no raw newlines).
          return { logGeneration: h.logGeneration, ops: h.ops as unknown as Op[] };
        }
        if (h?.format !== SNAPSHOT_FORMAT) throw new Error(`${path}: unknown snapshot format ${h?.format}`);
        header = h;
      } else {
        ops.push(value as Op);
      }
      // Format 3 ends every line, the last one too: one without is a snapshot cut short.
      if (!line.complete) throw new Error(`${path}:${lineNo}: snapshot cut short; refusing to start`);
    }
    if (!header) throw new Error(`${path}: no snapshot header; refusing to start`);
    if (ops.length !== header.ops) {
      throw new Error(`${path}: snapshot holds ${ops.length} ops, its header says ${header.ops}; refusing to start`);
    }
    return { logGeneration: header.logGeneration, ops };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads one log into `into`, line by line. A bad last line of the log a crash
 * can have torn (`mayBeTorn`) is cut off; a bad line anywhere else refuses.
 */
export async function readLog(path: string, mayBeTorn: boolean, into: Op[]): Promise<{ tornBytes: number }> {
  const handle = await open(path, 'r');
  let size = 0;
  try {
    size = (await handle.stat()).size;
    let lineNo = 0;
    /** A line that did not parse: fatal unless it turns out to be the last. */
    let bad: { lineNo: number; start: number } | undefined;
    for await (const line of readLines(handle)) {
      lineNo++;
      if (bad) break;
      let op: Op | undefined;
      if (line.complete) {
        try {
          op = JSON.parse(line.text) as Op;
        } catch {
          op = undefined;
        }
      }
      if (op === undefined) {
        bad = { lineNo, start: line.start };
        continue;
      }
      into.push(op);
    }
    if (!bad) return { tornBytes: 0 };
    if (!mayBeTorn || lineNo !== bad.lineNo) {
      throw new Error(`${path}:${bad.lineNo}: corrupt op log record (not a torn tail); refusing to start`);
    }
    // The torn tail of a crash: never acknowledged. Cut it off so the next append starts clean.
    await handle.close();
    const rw = await open(path, 'r+');
    try {
      await rw.truncate(bad.start);
      await rw.sync();
    } finally {
      await rw.close();
    }
    return { tornBytes: size - bad.start };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
