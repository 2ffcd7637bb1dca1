/**
 * The page's side of the hashing worker: the client core's Hasher, plus
 * whole-file hashing with progress for sharing.
 *
 * `hashFile` hands the worker the File itself (a reference; the worker reads
 * it from disk), so sharing never holds the file in the page. `sha1` (the
 * port: a downloaded piece's check) runs in the worker too (see there).
 */
import type { Hasher } from '../../../client/ports.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BufferPool } from '../../../client/buffer-pool.ts';
import { PIECE_SIZE } from '../../../protocol/constants.ts';
import type { HashEngine, HashReply, HashRequest } from './hash-protocol.ts';

/** Copies of pieces in the worker at once at full speed: verification rarely has more than a few pieces waiting. */
const COPIES_KEPT = 4;
/** WebCrypto on this page, for when the worker never started: missing on plain-http pages from a LAN address. */
const pageSubtle: SubtleCrypto | undefined = globalThis.isSecureContext ? globalThis.crypto?.subtle : undefined;

export interface HashProgress {
  piecesDone: number;
  pieceCount: number;
  bytesDone: number;
  totalBytes: number;
}

interface Waiting {
  resolve: (reply: HashReply) => void;
  reject: (err: Error) => void;
  onProgress?: (reply: Extract<HashReply, { kind: 'progress' }>) => void;
}

export class WorkerHasher implements Hasher {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  /** Buffers for sha1's copies, handed back by the worker with each digest. */
  readonly #copies = new BufferPool(PIECE_SIZE, COPIES_KEPT);
  #nextId = 1;
  #engine: Promise<HashEngine>;
  #started = false;
  /** Why nothing more goes to the worker: it never started (its script failed to load), or terminate(). */
  #dead: Error | undefined;

  constructor() {
    // Vite bundles the worker from this exact `new Worker(new URL(...))` form.
    this.#worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module', name: 'meshdrop-hash' });
    let ready!: (engine: HashEngine) => void;
    this.#engine = new Promise((r) => (ready = r));
    this.#worker.onmessage = (ev: MessageEvent<HashReply>) => {
      const reply = ev.data;
      if (reply.kind === 'ready') {
        this.#started = true;
        return ready(reply.engine);
      }
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      if (reply.kind === 'progress') return waiting.onProgress?.(reply);
      this.#waiting.delete(reply.id);
      if (reply.kind === 'error') waiting.reject(new Error(`hashing failed: ${reply.message}`));
      else waiting.resolve(reply);
    };
    this.#worker.onerror = (ev) => {
      const err = new Error(`the hashing worker failed: ${ev.message || 'it did not start'}`);
      // Before 'ready' the worker never ran and never will: later requests fail at once rather than wait forever.
      if (!this.#started) this.#dead = err;
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
  }

  /** Which SHA-1 the worker uses: 'webcrypto', or 'noble' outside a secure context. */
  get engine(): Promise<HashEngine> {
    return this.#engine;
  }

  /**
   * SHA-1 of the bytes, in the worker; the caller's bytes stay usable (the
   * worker gets a copy). Not the page's own WebCrypto: Chromium 156 digests
   * on the calling thread (a 64 MiB digest held the page's thread for all of
   * its 127 ms), so on the page each piece's check would hold the thread
   * that takes the arriving frames and draws the page. In the worker it costs
   * the download about as much CPU and no speed (docs/transfer-profile.md,
   * session 15). The copy goes into a pooled buffer the worker hands back
   * with the digest: no fresh 512 KiB per piece, and no dead one left for
   * either side's collector (with those a 4 GiB transfer grew the renderer).
   */
  async sha1(data: Uint8Array): Promise<string> {
    // Without its worker a download still verifies its pieces, on this page.
    if (this.#dead && pageSubtle) return bytesToHex(new Uint8Array(await pageSubtle.digest('SHA-1', data as Uint8Array<ArrayBuffer>)));
    const copy = this.#copies.view(data.byteLength);
    copy.set(data);
    const reply = (await this.#ask({ id: 0, kind: 'sha1', buffer: copy.buffer, offset: 0, length: copy.byteLength }, [copy.buffer])) as Extract<HashReply, { kind: 'sha1' }>;
    this.#copies.give(reply.buffer);
    return reply.hex;
  }

  /**
   * SHA-1 of every piece of a file, with progress after each piece. An abort
   * (`signal`) rejects at once with the signal's reason and tells the worker
   * to stop reading the file.
   */
  async hashFile(file: Blob, pieceSize: number, options: { onProgress?: (p: HashProgress) => void; signal?: AbortSignal } = {}): Promise<string[]> {
    const pieceCount = Math.ceil(file.size / pieceSize);
    const { onProgress, signal } = options;
    signal?.throwIfAborted();
    const id = this.#nextId++;
    const onAbort = () => {
      const waiting = this.#waiting.get(id);
      if (!waiting) return;
      this.#waiting.delete(id);
      this.#worker.postMessage({ id, kind: 'cancel' } satisfies HashRequest);
      waiting.reject(signal!.reason instanceof Error ? signal!.reason : new Error('hashing was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await this.#ask(
        { id, kind: 'file', file, pieceSize },
        [],
        onProgress && ((r) => onProgress({ piecesDone: r.piecesDone, pieceCount, bytesDone: r.bytesDone, totalBytes: file.size })),
      );
      return (reply as Extract<HashReply, { kind: 'file' }>).hashes;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  terminate(): void {
    this.#worker.terminate();
    const err = new Error('the hasher was closed');
    this.#dead = err;
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }

  #ask(request: HashRequest, transfer: Transferable[], onProgress?: Waiting['onProgress']): Promise<HashReply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = request.id || this.#nextId++;
    return new Promise<HashReply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }
}
