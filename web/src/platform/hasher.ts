/**
 * The page's side of the hashing worker: the client core's Hasher, plus
 * whole-file hashing with progress for sharing.
 *
 * `hashFile` hands the worker the File itself (a reference; the worker reads
 * it from disk), so sharing never holds the file in the page. `sha1` (the
 * port) runs on the page's WebCrypto where there is one (see there).
 */
import type { Hasher } from '../../../client/ports.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { HashEngine, HashReply, HashRequest } from './hash-protocol.ts';

/** WebCrypto on this page: missing on plain-http pages from a LAN address (not a secure context). */
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
  #nextId = 1;
  #engine: Promise<HashEngine>;

  constructor() {
    // Vite bundles the worker from this exact `new Worker(new URL(...))` form.
    this.#worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module', name: 'meshdrop-hash' });
    let ready!: (engine: HashEngine) => void;
    this.#engine = new Promise((r) => (ready = r));
    this.#worker.onmessage = (ev: MessageEvent<HashReply>) => {
      const reply = ev.data;
      if (reply.kind === 'ready') return ready(reply.engine);
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      if (reply.kind === 'progress') return waiting.onProgress?.(reply);
      this.#waiting.delete(reply.id);
      if (reply.kind === 'error') waiting.reject(new Error(`hashing failed: ${reply.message}`));
      else waiting.resolve(reply);
    };
    this.#worker.onerror = (ev) => {
      const err = new Error(`the hashing worker failed: ${ev.message}`);
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
  }

  /** Which SHA-1 the worker uses: 'webcrypto', or 'noble' outside a secure context. */
  get engine(): Promise<HashEngine> {
    return this.#engine;
  }

  /**
   * SHA-1 of the bytes; the caller's bytes stay usable. On a secure page the
   * page's own WebCrypto does it: Chromium and Firefox digest on a thread of
   * their own, so it is off the main thread without a copy, a message, or a
   * dead 512 KiB buffer per piece left for the worker's collector (with
   * them a 4 GiB transfer grew the renderer; docs/transfer-profile.md).
   * Elsewhere the worker's noble SHA-1 gets a copy.
   */
  async sha1(data: Uint8Array): Promise<string> {
    if (pageSubtle) return bytesToHex(new Uint8Array(await pageSubtle.digest('SHA-1', data as Uint8Array<ArrayBuffer>)));
    const copy = data.slice();
    const reply = await this.#ask({ id: 0, kind: 'sha1', buffer: copy.buffer, offset: 0, length: copy.length }, [copy.buffer]);
    return (reply as Extract<HashReply, { kind: 'sha1' }>).hex;
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
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }

  #ask(request: HashRequest, transfer: Transferable[], onProgress?: Waiting['onProgress']): Promise<HashReply> {
    const id = request.id || this.#nextId++;
    return new Promise<HashReply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }
}
