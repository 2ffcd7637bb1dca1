/**
 * The OPFS piece worker: keeps each download's verified pieces in one Origin
 * Private File System file, written at `index * slot` through a
 * FileSystemSyncAccessHandle (only dedicated workers have one). Beside it an
 * index file holds each piece's length (u32, 0: not stored), written after
 * the piece's bytes, so a piece is never "stored" before its bytes are.
 * Writing here costs about a fifth of an IndexedDB Blob per piece
 * (bench/piece-store.ts): no copy to the browser process, no transaction.
 *
 * Two tabs of one user each run a worker. Handles open in Chromium's
 * 'readwrite-unsafe' mode, which lets both write (the same verified bytes at
 * the same offsets: harmless) and read. Where the mode is missing (Firefox)
 * the handle is exclusive: the tab that cannot open it answers `locked` and
 * its store keeps that file's pieces in IndexedDB (idb-store.ts), reading
 * the other tab's through a snapshot of the file.
 */
import { dataName, indexName, type OpfsReply, type OpfsRequest } from './opfs-protocol.ts';

interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
  getSize(): number;
  truncate(size: number): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(options?: { mode?: string }): Promise<SyncHandle> };

interface Open {
  data: SyncHandle;
  index: SyncHandle;
}

/** Handles by `dir/file`; `null` while another tab holds the file's exclusive lock. */
const opened = new Map<string, Promise<Open | null>>();
/** Writes done and not yet flushed: their answers wait for the flush (see flushSoon). */
let unflushed: { reply: () => void; fail: (err: Error) => void; open: Open }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

const post = (reply: OpfsReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

async function dirOf(dir: string, create: boolean): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(dir, { create });
}

async function openSync(handle: FileSystemFileHandle): Promise<SyncHandle> {
  // 'readwrite-unsafe': several handles on one file (other tabs of this user); a browser without modes ignores it.
  return (handle as SyncFileHandle).createSyncAccessHandle({ mode: 'readwrite-unsafe' });
}

function open(dir: string, file: string): Promise<Open | null> {
  const key = `${dir}/${file}`;
  let p = opened.get(key);
  if (!p) {
    p = (async () => {
      const d = await dirOf(dir, true);
      const dataFile = await d.getFileHandle(dataName(file), { create: true });
      const indexFile = await d.getFileHandle(indexName(file), { create: true });
      let data: SyncHandle | undefined;
      try {
        data = await openSync(dataFile);
        return { data, index: await openSync(indexFile) };
      } catch (err) {
        data?.close();
        if ((err as DOMException).name === 'NoModificationAllowedError') return null; // another tab holds it
        throw err;
      }
    })();
    opened.set(key, p);
    p.catch(() => opened.delete(key));
  }
  return p;
}

function closeOpen(key: string): Promise<void> {
  const p = opened.get(key);
  opened.delete(key);
  return (p ?? Promise.resolve(null)).then(
    (o) => {
      if (!o) return;
      unflushed = unflushed.filter((w) => (w.open === o ? (w.reply(), false) : true));
      o.data.close();
      o.index.close();
    },
    () => undefined,
  );
}

/**
 * putPiece resolves once its bytes are written and flushed. The flush
 * (fsync) is what makes "stored" survive a power cut as the `have` bitfield
 * written after it does; one flush per piece would cost a disk round trip
 * per 512 KiB, so writes that arrive together share one: answers wait for a
 * flush on the next turn of the worker's event loop, after the pieces queued
 * meanwhile are written.
 */
function flushSoon(): void {
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const batch = unflushed;
    unflushed = [];
    const handles = new Set<SyncHandle>();
    for (const w of batch) handles.add(w.open.data).add(w.open.index);
    try {
      for (const h of handles) h.flush();
      for (const w of batch) w.reply();
    } catch (err) {
      for (const w of batch) w.fail(err as Error);
    }
  }, 0);
}

/** Writes all of `bytes` or throws an Error that says why (a full disk, a short write). */
function writeAll(h: SyncHandle, bytes: Uint8Array, at: number, piece: number, what: string): void {
  let written: number;
  try {
    written = h.write(bytes, { at });
  } catch (err) {
    const e = err as DOMException;
    const why = e.name === 'QuotaExceededError' ? "the browser's storage for this site is full" : `writing ${what} failed`;
    throw new Error(`could not store piece ${piece}: ${why} (${e.name}: ${e.message})`);
  }
  if (written !== bytes.byteLength) throw new Error(`could not store piece ${piece}: only ${written} of ${bytes.byteLength} bytes of ${what} were written (is the disk full?)`);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function lengthAt(index: SyncHandle, i: number): number {
  const b = new Uint8Array(4);
  return index.read(b, { at: i * 4 }) === 4 ? new DataView(b.buffer).getUint32(0, true) : 0;
}

/** Another tab holds the file: read a snapshot of it; a write in between makes the snapshot unreadable, so take a fresh one. */
async function readSnapshot(dir: string, name: string, from: number, to: number): Promise<Uint8Array | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      const f = await (await (await dirOf(dir, false)).getFileHandle(name)).getFile();
      return new Uint8Array(await f.slice(from, to).arrayBuffer());
    } catch (err) {
      const name = (err as DOMException).name;
      if (name === 'NotFoundError') return null;
      if (name !== 'NotReadableError' || attempt >= 20) throw err;
    }
  }
}

async function handle(req: OpfsRequest): Promise<void> {
  switch (req.op) {
    case 'probe': {
      let available = false;
      try {
        const d = await navigator.storage.getDirectory();
        const f = (await d.getFileHandle('meshdrop-probe', { create: true })) as SyncFileHandle;
        if (typeof f.createSyncAccessHandle === 'function') {
          (await openSync(f)).close();
          available = true;
        }
        await d.removeEntry('meshdrop-probe').catch(() => undefined);
      } catch {
        available = false;
      }
      return post({ id: req.id, ok: true, available });
    }
    case 'write': {
      const o = await open(req.dir, req.file);
      // Locked by another tab: the bytes go back, for the page to keep in IndexedDB.
      if (!o) return post({ id: req.id, ok: true, locked: true, bytes: req.bytes }, [req.bytes.buffer]);
      writeAll(o.data, req.bytes, req.index * req.slot, req.index, 'its bytes');
      // The length last: a piece whose bytes did not all land is never listed as stored.
      writeAll(o.index, u32(req.bytes.byteLength), req.index * 4, req.index, 'its index entry');
      unflushed.push({
        open: o,
        reply: () => post({ id: req.id, ok: true, written: req.bytes.buffer as ArrayBuffer }, [req.bytes.buffer]),
        fail: (err) => post({ id: req.id, ok: false, error: `could not store piece ${req.index}: flushing failed (${err.message})` }),
      });
      return flushSoon();
    }
    case 'read': {
      const o = await open(req.dir, req.file);
      if (o) {
        const n = lengthAt(o.index, req.index);
        if (n === 0) return post({ id: req.id, ok: true, bytes: null });
        const bytes = new Uint8Array(n);
        if (o.data.read(bytes, { at: req.index * req.slot }) !== n) throw new Error(`piece ${req.index} is shorter on disk than its index says`);
        return post({ id: req.id, ok: true, bytes }, [bytes.buffer]);
      }
      const len = await readSnapshot(req.dir, indexName(req.file), req.index * 4, req.index * 4 + 4);
      const n = len && len.byteLength === 4 ? new DataView(len.buffer).getUint32(0, true) : 0;
      const bytes = n > 0 ? await readSnapshot(req.dir, dataName(req.file), req.index * req.slot, req.index * req.slot + n) : null;
      return post({ id: req.id, ok: true, bytes: bytes && bytes.byteLength === n ? bytes : null }, bytes ? [bytes.buffer] : []);
    }
    case 'lengths': {
      const lengths = new Uint32Array(req.count);
      const o = await open(req.dir, req.file);
      const raw = new Uint8Array(req.count * 4);
      if (o) o.index.read(raw, { at: 0 });
      else raw.set((await readSnapshot(req.dir, indexName(req.file), 0, req.count * 4)) ?? new Uint8Array(0));
      const view = new DataView(raw.buffer);
      for (let i = 0; i < req.count; i++) lengths[i] = view.getUint32(i * 4, true);
      return post({ id: req.id, ok: true, lengths }, [lengths.buffer]);
    }
    case 'delete': {
      await closeOpen(`${req.dir}/${req.file}`);
      const d = await dirOf(req.dir, false).catch(() => undefined);
      for (const name of [dataName(req.file), indexName(req.file)]) {
        await d?.removeEntry(name).catch(async (err: DOMException) => {
          if (err.name === 'NotFoundError') return;
          if (err.name !== 'NoModificationAllowedError') throw err;
          // Another tab of this user has it open: empty it instead (its space freed, no piece listed); the name goes with the next delete or clear.
          const h = await openSync(await d.getFileHandle(name));
          h.truncate(0);
          h.flush();
          h.close();
        });
      }
      return post({ id: req.id, ok: true });
    }
    case 'clear': {
      for (const key of [...opened.keys()]) if (key.startsWith(`${req.dir}/`)) await closeOpen(key);
      await (await navigator.storage.getDirectory()).removeEntry(req.dir, { recursive: true }).catch((err: DOMException) => {
        if (err.name !== 'NotFoundError') throw err;
      });
      return post({ id: req.id, ok: true });
    }
  }
}

/** One request at a time, in order: a delete lands after the writes sent before it, never between. */
let chain: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<OpfsRequest>) => {
  const req = ev.data;
  chain = chain.then(() => handle(req)).catch((err: unknown) => post({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }));
};
