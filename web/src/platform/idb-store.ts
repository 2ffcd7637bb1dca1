/**
 * PieceStore on IndexedDB through idb-keyval: one object store, array keys.
 *
 *   ['file', fileId]          → StoredFile (metadata, `have` bitfield, state)
 *   ['piece', fileId, index]  → Blob of one verified piece
 *   ['handle', fileId]        → FileSystemFileHandle of a shared original (file-source.ts)
 *
 * Pieces are Blobs, not ArrayBuffers: Chromium keeps large stored Blobs on
 * disk, so `new Blob(storedBlobs)` of a whole file can be streamed to the
 * user without loading it (measured in Chromium), and Blob writes measured faster (69
 * vs 55 MB/s). Array keys sort by file then index, so one key range deletes
 * or lists a whole file.
 */
import { createStore, del, get, promisifyRequest as promisify, set, type UseStore } from 'idb-keyval';
import type { PieceStore, StoredFile } from '../../../client/ports.ts';

/** The object-store name: a persistent contract with what browsers already hold (database names: platform/index.ts). */
export const STORE_NAME = 'kv';

const fileKey = (fileId: string): IDBValidKey => ['file', fileId];
const pieceKey = (fileId: string, index: number): IDBValidKey => ['piece', fileId, index];
export const handleKey = (fileId: string): IDBValidKey => ['handle', fileId];
/** Every key of one kind (and one file): arrays sort after numbers and strings, so `[]` closes the range. */
const range = (...prefix: string[]) => IDBKeyRange.bound([...prefix], [...prefix, []]);

/**
 * At most this many pieces (8 MiB) go in one write transaction: enough to
 * take in what arrives while one commits at full speed, and a failed write
 * costs no more than that to fetch again.
 */
const MAX_PIECES_PER_WRITE = 16;

interface PendingPut {
  fileId: string;
  key: IDBValidKey;
  blob: Blob;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** What sits under a file key: the record as is (IndexedDB clones typed arrays). */
type FileRecord = StoredFile;

export class IdbPieceStore implements PieceStore {
  readonly kv: UseStore;

  /** The IndexedDB database's name; also the name of the user's OPFS directory of pieces (piece-store.ts). Previews read through the page (ui/preview-bridge.ts), not this database. */
  readonly dbName: string;

  constructor(dbName: string) {
    this.dbName = dbName;
    this.kv = createStore(dbName, STORE_NAME);
  }

  async listFiles(): Promise<StoredFile[]> {
    return this.kv('readonly', (s) => promisify(s.getAll(range('file')))) as Promise<FileRecord[]>;
  }

  getFile(fileId: string): Promise<StoredFile | undefined> {
    return get<FileRecord>(fileKey(fileId), this.kv);
  }

  putFile(file: StoredFile): Promise<void> {
    // Copy the bitfield: the caller keeps mutating its own as pieces arrive.
    return set(fileKey(file.fileId), { ...file, have: new Uint8Array(file.have) } satisfies FileRecord, this.kv);
  }

  /**
   * Stores a piece. Writes are batched: while one transaction is committing,
   * pieces that arrive meanwhile wait and then go together in the next one
   * (a transaction per piece cost more main-thread time than the put itself,
   * docs/transfer-profile.md). An idle store writes at once. Resolves once the
   * transaction holding this piece has committed.
   */
  putPiece(fileId: string, index: number, data: Uint8Array): Promise<void> {
    // The Blob copies the bytes now: the caller may reuse its buffer at once.
    const blob = toBlob(data);
    return new Promise((resolve, reject) => {
      this.#pending.push({ fileId, key: pieceKey(fileId, index), blob, resolve, reject });
      this.#startWriting();
    });
  }

  readonly #pending: PendingPut[] = [];
  /** The write loop while it runs (deleteFile waits for it). */
  #writing: Promise<void> | undefined;
  /** idb-keyval's own connection to the database, for transactions it cannot open (relaxed durability). */
  #db: Promise<IDBDatabase> | undefined;

  #startWriting(): void {
    this.#writing ??= this.#writePending().finally(() => {
      this.#writing = undefined;
      // Pieces that came after the loop saw the queue empty, and before this ran, start it again.
      if (this.#pending.length > 0) this.#startWriting();
    });
  }

  async #writePending(): Promise<void> {
    const db = await (this.#db ??= this.kv('readonly', (s) => Promise.resolve(s.transaction.db)));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_PIECES_PER_WRITE);
      try {
        // Relaxed: the commit need not reach the disk before it reports done (no flush per
        // batch). Commits still land in order, so a power cut loses only the last ones, and a
        // `have` bitfield written after a piece never survives without it: the piece is fetched again.
        const tx = db.transaction(STORE_NAME, 'readwrite', { durability: 'relaxed' });
        const store = tx.objectStore(STORE_NAME);
        for (const p of batch) store.put(p.blob, p.key);
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('the piece write was aborted'));
        });
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  async getPiece(fileId: string, index: number): Promise<Uint8Array | undefined> {
    const blob = await this.getPieceBlob(fileId, index);
    return blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
  }

  /** The indices of a file's pieces held here: its piece keys, nothing read (the engine's crash recovery). */
  async storedPieces(fileId: string, _count: number): Promise<number[]> {
    const keys = await this.kv('readonly', (s) => promisify(s.getAllKeys(range('piece', fileId))));
    return (keys as [string, string, number][]).map((k) => k[2]);
  }

  /** The stored Blob itself (on disk): save.ts builds the whole file from these without reading them. */
  getPieceBlob(fileId: string, index: number): Promise<Blob | undefined> {
    return get<Blob>(pieceKey(fileId, index), this.kv);
  }

  /**
   * The finished file as one Blob where the store holds it end to end, else
   * undefined (save.ts then builds it from the piece Blobs). IndexedDB keeps
   * a Blob per piece, so never here.
   */
  async getWholeBlob(_file: StoredFile): Promise<Blob | undefined> {
    return undefined;
  }

  /** Every stored piece Blob of a file, in index order (undefined where a piece is missing). */
  async getPieceBlobs(fileId: string, count: number): Promise<(Blob | undefined)[]> {
    const entries = await this.kv('readonly', async (s) => {
      const [keys, values] = await Promise.all([
        promisify(s.getAllKeys(range('piece', fileId))),
        promisify(s.getAll(range('piece', fileId))),
      ]);
      return { keys: keys as [string, string, number][], values: values as Blob[] };
    });
    const out: (Blob | undefined)[] = new Array(count).fill(undefined);
    entries.keys.forEach((k, i) => {
      if (k[2] >= 0 && k[2] < count) out[k[2]] = entries.values[i];
    });
    return out;
  }

  /** Removes the record, every piece and any kept file handle in one transaction. */
  async deleteFile(fileId: string): Promise<void> {
    // Pieces still waiting for their write would otherwise be written after the delete and outlive it.
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      if (this.#pending[i]!.fileId === fileId) this.#pending.splice(i, 1)[0]!.resolve();
    }
    // And a batch already being written lands before the delete, not after it.
    await this.#writing?.catch(() => undefined);
    await this.kv('readwrite', (s) => {
      s.delete(range('piece', fileId));
      s.delete(fileKey(fileId));
      s.delete(handleKey(fileId));
      return promisify(s.transaction);
    });
  }

  /** For tests and the bench: forget everything this database holds. */
  clear(): Promise<void> {
    return this.kv('readwrite', (s) => promisify(s.clear()));
  }

  /** Keeps a FileSystemFileHandle (structured-cloneable in Chromium) for re-opening after a reload. */
  putHandle(fileId: string, handle: unknown): Promise<void> {
    return set(handleKey(fileId), handle, this.kv);
  }
  getHandle<T>(fileId: string): Promise<T | undefined> {
    return get<T>(handleKey(fileId), this.kv);
  }
  deleteHandle(fileId: string): Promise<void> {
    return del(handleKey(fileId), this.kv);
  }
}

/**
 * A Blob over the bytes. When the view covers its whole buffer the Blob takes
 * the buffer as is; a sub-view is handed over as a view (Blob copies it once
 * into its own storage either way).
 */
function toBlob(data: Uint8Array): Blob {
  return new Blob([data as Uint8Array<ArrayBuffer>]);
}
