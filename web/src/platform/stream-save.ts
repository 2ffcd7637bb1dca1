/**
 * Save where I choose, as it arrives (issue 13, item 10). Where the File
 * System Access API exists (showSaveFilePicker), a download's destination is
 * picked once and every verified piece is written there at its offset as it
 * verifies (the pieces also stay in the piece store, for seeding and
 * previews). Elsewhere "Save" stays as it is (save.ts).
 *
 * A FileSystemWritableFileStream writes into a swap file that becomes the
 * file only on close(), so a writer that stayed open would show nothing
 * until the end and lose everything on a reload. Writes are therefore
 * committed (the stream closed, a new one opened with keepExistingData) at
 * most every COMMIT_INTERVAL_MS, and only once the bytes waiting are at least
 * a quarter of those already committed: keepExistingData copies the file so
 * far, so commits grow geometrically and the copying stays a small multiple
 * of the file's size.
 *
 * The handle is kept in the user's piece database (key ['stream-save',
 * fileId]); after a reload the writer carries on where the browser still
 * grants writing (rewriting the pieces held, once), else the card asks
 * for permission again with a click (`resume(true)`).
 */
import { del, get, set } from 'idb-keyval';
import type { IdbPieceStore } from './idb-store.ts';

/** At most one commit per this long while pieces arrive: the file on disk is never more than about a second behind. */
export const COMMIT_INTERVAL_MS = 1000;

export type StreamSaveStatus = 'writing' | 'needs-permission' | 'saved' | 'failed';

type Writable = FileSystemWritableFileStream;
type PermissionHandle = FileSystemFileHandle & {
  queryPermission?: (d: { mode: 'readwrite' }) => Promise<PermissionState>;
  requestPermission?: (d: { mode: 'readwrite' }) => Promise<PermissionState>;
};

interface Kept {
  handle: FileSystemFileHandle;
  /** Written whole and closed: nothing left to do after a reload. */
  saved: boolean;
}

const keptKey = (fileId: string): IDBValidKey => ['stream-save', fileId];

export function canSaveAsItArrives(): boolean {
  return typeof (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function';
}

/** Asks the user where to save (call from a click). */
export async function pickDestination(name: string): Promise<FileSystemFileHandle> {
  const picker = (globalThis as { showSaveFilePicker?: (o: { suggestedName: string }) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
  if (!picker) throw new Error('this browser cannot save a file as it arrives (no showSaveFilePicker)');
  return picker({ suggestedName: name });
}

export interface StreamSaveFile {
  fileId: string;
  size: number;
  pieceSize: number;
  pieceCount: number;
  /** Is this piece verified and stored? */
  has: (piece: number) => boolean;
}

/** Writes one download's verified pieces into a file of the user's choice, as they verify. */
export class StreamSave {
  readonly #store: IdbPieceStore;
  readonly #file: StreamSaveFile;
  readonly #handle: FileSystemFileHandle;
  readonly #onChange: () => void;
  readonly #now: () => number;
  #status: StreamSaveStatus = 'writing';
  #error = '';
  readonly #written: Uint8Array;
  #writtenCount = 0;
  readonly #queue: number[] = [];
  #running = false;
  #writable: Writable | undefined;
  #lastCommit = 0;
  #pending = 0;
  #committed = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(store: IdbPieceStore, file: StreamSaveFile, handle: FileSystemFileHandle, onChange: () => void, now: () => number = Date.now) {
    this.#store = store;
    this.#file = file;
    this.#handle = handle;
    this.#onChange = onChange;
    this.#now = now;
    this.#written = new Uint8Array(file.pieceCount);
  }

  get name(): string {
    return this.#handle.name;
  }
  get status(): StreamSaveStatus {
    return this.#status;
  }
  get error(): string {
    return this.#error;
  }
  /** Pieces written to the destination so far. */
  get written(): number {
    return this.#writtenCount;
  }

  /** A new destination, or one kept from before a reload: remember it, check permission (asking only when `ask`, from a click), write what is held. */
  async start(ask: boolean): Promise<void> {
    await set(keptKey(this.#file.fileId), { handle: this.#handle, saved: false } satisfies Kept, this.#store.kv);
    const handle = this.#handle as PermissionHandle;
    let state: PermissionState = (await handle.queryPermission?.({ mode: 'readwrite' })) ?? 'granted';
    if (state !== 'granted' && ask) state = (await handle.requestPermission?.({ mode: 'readwrite' })) ?? 'denied';
    if (state !== 'granted') {
      this.#status = 'needs-permission';
      this.#onChange();
      return;
    }
    this.#status = 'writing';
    this.#onChange();
    for (let i = 0; i < this.#file.pieceCount; i++) if (this.#file.has(i)) this.#queue.push(i);
    if (this.#file.pieceCount === 0) this.#queue.push(-1);
    void this.#drain();
  }

  /** Kept from before a reload as written whole: nothing to do, the card says where it went. */
  markSaved(): void {
    this.#status = 'saved';
    this.#written.fill(1);
    this.#writtenCount = this.#file.pieceCount;
  }

  /** A piece verified: written in its turn. */
  verified(piece: number): void {
    if (this.#status !== 'writing' || this.#written[piece]) return;
    this.#queue.push(piece);
    void this.#drain();
  }

  /** Stops writing (sign-out, the download removed); what is committed stays. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    void this.#writable?.close().catch(() => undefined);
    this.#writable = undefined;
  }

  /** Forgets the kept destination (the download was removed). */
  async forget(): Promise<void> {
    this.close();
    await del(keptKey(this.#file.fileId), this.#store.kv);
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const piece = this.#queue.shift()!;
        if (piece >= 0 && this.#written[piece]) continue;
        this.#writable ??= await this.#handle.createWritable({ keepExistingData: true });
        if (piece >= 0) {
          const data = await this.#store.getPiece(this.#file.fileId, piece);
          if (!data) throw new Error(`piece ${piece} is not stored`);
          await this.#writable.write({ type: 'write', position: piece * this.#file.pieceSize, data: data as Uint8Array<ArrayBuffer> });
          this.#written[piece] = 1;
          this.#writtenCount++;
          this.#pending += data.byteLength;
        }
        if (this.#writtenCount === this.#file.pieceCount) {
          await this.#writable.truncate(this.#file.size);
          await this.#commit();
          this.#status = 'saved';
          await set(keptKey(this.#file.fileId), { handle: this.#handle, saved: true } satisfies Kept, this.#store.kv);
          this.#onChange();
          return;
        }
        if (this.#commitDue()) await this.#commit();
      }
      // Nothing more to write now: commit what waits once the interval is up, even if no piece comes meanwhile.
      if (this.#pending > 0 && !this.#closed) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.#commitLater(), Math.max(0, this.#lastCommit + COMMIT_INTERVAL_MS - this.#now()));
      }
    } catch (err) {
      this.#failWith(err as Error);
    } finally {
      this.#running = false;
    }
  }

  /** A write or commit failed: saving stops here and the card says why. */
  #failWith(err: Error): void {
    this.#status = 'failed';
    this.#error = err.message;
    this.close();
    this.#onChange();
  }

  #commitDue(): boolean {
    return this.#now() - this.#lastCommit >= COMMIT_INTERVAL_MS && this.#pending * 4 >= this.#committed;
  }

  async #commitLater(): Promise<void> {
    if (this.#running || this.#closed || this.#pending === 0) return;
    if (!this.#commitDue()) return; // the next piece's write commits it
    this.#running = true;
    try {
      await this.#commit();
    } catch (err) {
      this.#failWith(err as Error);
    } finally {
      this.#running = false;
    }
    void this.#drain();
  }

  async #commit(): Promise<void> {
    const writable = this.#writable;
    this.#writable = undefined;
    await writable?.close();
    this.#committed += this.#pending;
    this.#pending = 0;
    this.#lastCommit = this.#now();
    this.#onChange();
  }
}

/** Destinations kept from before a reload, by file id (saved ones included: their card says so). */
export async function keptDestinations(store: IdbPieceStore, fileIds: readonly string[]): Promise<Map<string, Kept>> {
  const out = new Map<string, Kept>();
  for (const id of fileIds) {
    const kept = await get<Kept>(keptKey(id), store.kv).catch(() => undefined);
    if (kept?.handle) out.set(id, kept);
  }
  return out;
}
