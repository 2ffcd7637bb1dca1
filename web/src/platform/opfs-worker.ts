/**
 * The OPFS piece worker: keeps each download's verified pieces in one Origin
 * Private File System file, written at `index * slot` through a
 * FileSystemSyncAccessHandle (only dedicated workers have one). Beside it an
 * index file holds each piece's length (u32, 0: not stored), written after
 * the piece's bytes, so a piece is never "stored" before its bytes are.
 * Writing here costs about a fifth of an IndexedDB Blob per piece
 * (bench/piece-store.ts): no copy to the browser process, no transaction.
 *
 * A write answers once its bytes are written (readable and servable), not
 * flushed. The flush (an fsync of both files) comes with a `flush` request,
 * which the store sends before it saves the download's record
 * (flush-before-save.ts): so a `have` bitfield on disk never claims a piece
 * the disk may not hold, and a download pays one flush per record save (at
 * most one a second) instead of one per turn of this worker's loop, which
 * at full speed was one per piece (docs/transfer-profile.md). Pieces
 * written after the last save and lost to a power cut are the ones
 * recovery checks anyway: client/recover-stored.ts reads the index, hashes
 * each such piece and keeps only those that match.
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
/** Files written since their last flush (see the `flush` request). */
const unflushed = new Set<Open>();

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
      unflushed.delete(o);
      o.data.close();
      o.index.close();
    },
    () => undefined,
  );
}

/**
 * A piece goes to disk in writes of at most this many bytes, not in one
 * 512 KiB write. In a same-run A/B (`bench/transfer`, 42 paired runs) the
 * download was faster in 32, at 0.83 against 0.73 of the raw channel's
 * rate (docs/transfer-profile.md). Why was not found: this thread's own
 * CPU rises a little with the extra calls, and the network threads' CPU
 * falls with the rate. 16 KiB writes did no better than 64 KiB.
 */
const WRITE_CHUNK_BYTES = 64 * 1024;

/** Writes all of `bytes` or throws an Error that says why (a full disk, a short write). */
function writeAll(h: SyncHandle, bytes: Uint8Array, at: number, piece: number, what: string): void {
  let written = 0;
  try {
    while (written < bytes.byteLength) {
      const n = h.write(bytes.subarray(written, written + WRITE_CHUNK_BYTES), { at: at + written });
      if (n <= 0) break; // a short write: said below
      written += n;
    }
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
      unflushed.add(o);
      return post({ id: req.id, ok: true, written: req.bytes.buffer as ArrayBuffer }, [req.bytes.buffer]);
    }
    case 'flush': {
      // Only a file this worker wrote can be unflushed; opening one here would only flush nothing.
      const o = opened.has(`${req.dir}/${req.file}`) ? await open(req.dir, req.file) : null;
      if (o && unflushed.has(o)) {
        try {
          o.data.flush();
          o.index.flush();
        } catch (err) {
          throw new Error(`could not make the stored pieces durable: flushing failed (${(err as Error).message})`);
        }
        unflushed.delete(o);
      }
      return post({ id: req.id, ok: true });
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
