/**
 * The app's piece store: records (StoredFile, bitfields, handles) in the
 * user's IndexedDB database as before (idb-store.ts); a download's pieces in
 * one Origin Private File System file of the user's own directory (named as
 * the database), written by a dedicated worker (opfs-worker.ts), where this
 * browser can: an IndexedDB Blob per piece cost the downloading browser
 * about 6 CPU-ms/MB more than a plain copy, the OPFS file about 1
 * (bench/piece-store.ts). Elsewhere (plain-http LAN pages are no secure
 * context; old browsers) pieces stay IndexedDB Blobs.
 *
 * Which one holds a file's pieces is decided once per file and kept: the
 * key ['pieces-in', fileId] → 'opfs' is written before its first OPFS
 * piece. A file without it (downloaded before OPFS was used, or in a
 * browser without it) keeps its pieces in IndexedDB: no migration. A piece
 * the OPFS file does not hold is looked for in IndexedDB too, where a tab
 * keeps a file's pieces while another tab holds the file's exclusive lock
 * (browsers without 'readwrite-unsafe', opfs-worker.ts).
 */
import { del, get, set } from 'idb-keyval';
import { BufferPool } from '../../../client/buffer-pool.ts';
import { PIECE_SIZE } from '../../../protocol/constants.ts';
import { IdbPieceStore } from './idb-store.ts';
import { FlushBeforeSave } from './flush-before-save.ts';
import type { StoredFile } from '../../../client/ports.ts';
import { opfsClient, type OpfsClient } from './opfs-client.ts';

export type PieceBackend = 'idb' | 'opfs';

const markerKey = (fileId: string): IDBValidKey => ['pieces-in', fileId];

/** Every piece sits at `index * SLOT` in its file: the protocol's one piece size (a larger piece goes to IndexedDB). */
const SLOT = PIECE_SIZE;
/** Copies in flight to the worker at full speed: the pieces it has not yet written. */
const COPIES_KEPT = 4;

export class BrowserPieceStore extends IdbPieceStore {
  readonly #opfs: OpfsClient | undefined;
  /** Buffers for putPiece's copies, back from the worker after each write. */
  readonly #copies = new BufferPool(SLOT, COPIES_KEPT);
  /** Each file's backend, once decided (or read) in this store. */
  readonly #backends = new Map<string, Promise<PieceBackend>>();
  /** Bumped by deleteFile and clear: a write decided before them is dropped, not written after them. */
  readonly #generation = new Map<string, number>();
  #clears = 0;
  /** Writes under way, per file: deleteFile waits for them. */
  readonly #writing = new Map<string, Set<Promise<void>>>();
  /** OPFS pieces are written unflushed: a record is saved only once those it claims are flushed. */
  readonly #flushes = new FlushBeforeSave((fileId) => this.#opfs!.call({ op: 'flush', dir: this.dbName, file: fileId }).then(() => undefined));

  /** `opfs: false` keeps every new file in IndexedDB (tests; the fallback). */
  constructor(dbName: string, options: { opfs?: boolean } = {}) {
    super(dbName);
    this.#opfs = options.opfs === false ? undefined : opfsClient();
  }

  /** Where this file's pieces are (a file never written reads as IndexedDB). */
  async backendOf(fileId: string): Promise<PieceBackend> {
    const known = this.#backends.get(fileId);
    if (known) return known;
    if (!this.#opfs) return 'idb';
    const marked = (await get<PieceBackend>(markerKey(fileId), this.kv)) === 'opfs';
    if (marked && !this.#backends.has(fileId)) this.#backends.set(fileId, Promise.resolve('opfs'));
    return marked ? 'opfs' : 'idb';
  }

  /** Decides the backend of a file about to get a piece: its marker, else IndexedDB if it already has pieces there, else OPFS where available. */
  #backendForWrite(fileId: string): Promise<PieceBackend> {
    let p = this.#backends.get(fileId);
    if (!p) {
      p = (async (): Promise<PieceBackend> => {
        if (!this.#opfs) return 'idb';
        if ((await get<PieceBackend>(markerKey(fileId), this.kv)) === 'opfs') return 'opfs';
        const held = await this.kv('readonly', (s) => new Promise<number>((resolve, reject) => {
          const r = s.count(IDBKeyRange.bound(['piece', fileId], ['piece', fileId, []]));
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        }));
        if (held > 0 || !(await this.#opfs.available)) return 'idb';
        // Before the first OPFS piece: a reload must know where to look.
        await set(markerKey(fileId), 'opfs', this.kv);
        return 'opfs';
      })();
      this.#backends.set(fileId, p);
      p.catch(() => this.#backends.delete(fileId));
    }
    return p;
  }

  override putPiece(fileId: string, index: number, data: Uint8Array): Promise<void> {
    // A copy now: the caller may reuse its buffer at once, and this one is handed to the worker,
    // which hands it back once written (#copies: no fresh 512 KiB per piece, client/buffer-pool.ts).
    const bytes = this.#copies.view(data.byteLength);
    bytes.set(data);
    const generation = this.#generationOf(fileId);
    const write = (async () => {
      const backend = await this.#backendForWrite(fileId);
      if (generation !== this.#generationOf(fileId)) return; // deleted meanwhile
      if (backend === 'idb' || !this.#opfs || bytes.byteLength === 0 || bytes.byteLength > SLOT) {
        const stored = super.putPiece(fileId, index, bytes); // its Blob copies the bytes at once
        this.#copies.give(bytes.buffer);
        return stored;
      }
      const r = await this.#opfs.call({ op: 'write', dir: this.dbName, file: fileId, index, slot: SLOT, bytes }, [bytes.buffer]);
      if (r.locked && r.bytes) return super.putPiece(fileId, index, r.bytes);
      this.#flushes.written(fileId);
      if (r.written) this.#copies.give(r.written);
    })();
    const underWay = this.#writing.get(fileId) ?? new Set();
    this.#writing.set(fileId, underWay);
    underWay.add(write);
    void write.catch(() => undefined).finally(() => {
      underWay.delete(write);
      if (underWay.size === 0 && this.#writing.get(fileId) === underWay) this.#writing.delete(fileId);
    });
    return write;
  }

  /** Saves the record once the OPFS pieces written before it are flushed (flush-before-save.ts). */
  override async putFile(file: StoredFile): Promise<void> {
    // The bitfield as it is now: the caller keeps setting bits while the flush runs.
    const record = { ...file, have: new Uint8Array(file.have) };
    await this.#flushes.settled(file.fileId);
    return super.putFile(record);
  }

  #generationOf(fileId: string): string {
    return `${this.#clears}:${this.#generation.get(fileId) ?? 0}`;
  }

  override async getPiece(fileId: string, index: number): Promise<Uint8Array | undefined> {
    if ((await this.backendOf(fileId)) === 'opfs' && this.#opfs) {
      const r = await this.#opfs.call({ op: 'read', dir: this.dbName, file: fileId, index, slot: SLOT });
      if (r.bytes) return r.bytes;
    }
    // Not super.getPiece: it reads through getPieceBlob, which this class overrides (and would call back here).
    const blob = await super.getPieceBlob(fileId, index);
    return blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
  }

  /** Pieces in the OPFS file (its index: a length per piece) and any kept in IndexedDB. */
  override async storedPieces(fileId: string, count: number): Promise<number[]> {
    const inIdb = await super.storedPieces(fileId, count);
    if ((await this.backendOf(fileId)) !== 'opfs' || !this.#opfs) return inIdb;
    const { lengths } = await this.#opfs.call({ op: 'lengths', dir: this.dbName, file: fileId, count });
    const held = new Set(inIdb);
    lengths?.forEach((n, i) => n > 0 && held.add(i));
    return [...held].sort((a, b) => a - b);
  }

  override async getPieceBlob(fileId: string, index: number): Promise<Blob | undefined> {
    if ((await this.backendOf(fileId)) !== 'opfs') return super.getPieceBlob(fileId, index);
    const bytes = await this.getPiece(fileId, index);
    return bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : undefined;
  }

  /**
   * A complete file whose every piece is in its OPFS file, at full length,
   * is that file's first `size` bytes: a slot is a piece, so the pieces lie
   * end to end. One slice of one snapshot, then, not a Blob per piece: each
   * Blob is a registration with the browser process and 2–4 KiB of the
   * renderer's memory; for 4 GiB (8,192 pieces) that was 2.3 s and 20 MiB
   * before the browser read a byte, against 8 ms and under 1 MiB
   * (`npm run bench -- piece-store --save-mb 4096`).
   */
  override async getWholeBlob(file: StoredFile): Promise<Blob | undefined> {
    const { fileId, meta } = file;
    const count = meta.pieceHashes.length;
    if (file.state !== 'complete' || meta.pieceSize !== SLOT || meta.size === 0 || count === 0) return undefined;
    if ((await this.backendOf(fileId)) !== 'opfs' || !this.#opfs) return undefined;
    const { lengths } = await this.#opfs.call({ op: 'lengths', dir: this.dbName, file: fileId, count });
    if (!lengths) return undefined;
    const lastLength = meta.size - (count - 1) * SLOT;
    for (let i = 0; i < count; i++) if (lengths[i] !== (i === count - 1 ? lastLength : SLOT)) return undefined;
    const whole = await this.#opfs.snapshot(this.dbName, fileId).catch(() => undefined);
    return whole && whole.size >= meta.size ? whole.slice(0, meta.size, 'application/octet-stream') : undefined;
  }

  /**
   * Every piece of a file as Blobs, in order. A complete OPFS file is sliced
   * from one snapshot of it (on disk, nothing read: save.ts streams it);
   * one still being written would make a snapshot unreadable, so its
   * pieces are read through the worker (in memory) instead.
   */
  override async getPieceBlobs(fileId: string, count: number): Promise<(Blob | undefined)[]> {
    if ((await this.backendOf(fileId)) !== 'opfs' || !this.#opfs) return super.getPieceBlobs(fileId, count);
    const [{ lengths }, fallback, record] = await Promise.all([
      this.#opfs.call({ op: 'lengths', dir: this.dbName, file: fileId, count }),
      super.getPieceBlobs(fileId, count),
      this.getFile(fileId),
    ]);
    const stored = lengths ?? new Uint32Array(count);
    const whole = record?.state === 'complete' ? await this.#opfs.snapshot(this.dbName, fileId).catch(() => undefined) : undefined;
    const out: (Blob | undefined)[] = [];
    for (let i = 0; i < count; i++) {
      const n = stored[i]!;
      if (n === 0) out.push(fallback[i]);
      else if (whole) out.push(whole.slice(i * SLOT, i * SLOT + n));
      else out.push(await this.getPieceBlob(fileId, i));
    }
    return out;
  }

  /** Removes the record, the pieces wherever they are (writes under way land first, then go) and the marker. */
  override async deleteFile(fileId: string): Promise<void> {
    this.#generation.set(fileId, (this.#generation.get(fileId) ?? 0) + 1);
    await Promise.all([...(this.#writing.get(fileId) ?? [])].map((w) => w.catch(() => undefined)));
    const backend = await this.backendOf(fileId);
    // The records go even if the OPFS file cannot (another tab's exclusive handle): a later
    // download of the same id finds its pieces there, the same verified bytes.
    this.#flushes.forget(fileId);
    const removed = backend === 'opfs' && this.#opfs ? this.#opfs.call({ op: 'delete', dir: this.dbName, file: fileId }).then(() => undefined, (err: Error) => err) : undefined;
    await super.deleteFile(fileId);
    await del(markerKey(fileId), this.kv);
    this.#backends.delete(fileId);
    const failed = await removed;
    if (failed) throw new Error(`the download's record is removed, but its pieces' file could not be: ${failed.message}`);
  }

  /** For tests and the bench: forget every record and piece of this user. */
  override async clear(): Promise<void> {
    this.#clears++;
    await Promise.all([...this.#writing.values()].flatMap((s) => [...s]).map((w) => w.catch(() => undefined)));
    if (this.#opfs && (await this.#opfs.available)) await this.#opfs.call({ op: 'clear', dir: this.dbName });
    await super.clear();
    this.#backends.clear();
  }
}
