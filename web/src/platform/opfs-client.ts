/**
 * The page's side of the OPFS piece worker (opfs-worker.ts): one worker per
 * page, shared by every store of the page (a reopened store and the first
 * see the same open handles), started on first use.
 */
import { dataName, type OpfsReply, type OpfsRequest } from './opfs-protocol.ts';

type Req = OpfsRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Ok = Extract<OpfsReply, { ok: true }>;

export class OpfsClient {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (r: Ok) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  /** Does this browser give a dedicated worker a sync access handle on OPFS? Asked once. */
  readonly available: Promise<boolean>;

  constructor() {
    this.#worker = new Worker(new URL('./opfs-worker.ts', import.meta.url), { type: 'module', name: 'meshdrop-pieces' });
    this.#worker.onmessage = (ev: MessageEvent<OpfsReply>) => {
      const r = ev.data;
      const w = this.#waiting.get(r.id);
      if (!w) return;
      this.#waiting.delete(r.id);
      if (r.ok) w.resolve(r);
      else w.reject(new Error(r.error));
    };
    this.#worker.onerror = (ev) => {
      const err = new Error(`the piece storage worker failed: ${ev.message}`);
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    this.available = this.call({ op: 'probe' }).then((r) => r.available === true, () => false);
  }

  call(req: Req, transfer: Transferable[] = []): Promise<Ok> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...req, id }, transfer);
    });
  }

  /**
   * A snapshot of a file's pieces for the page to slice (save.ts). The main
   * thread may read it while the worker's handle is open; a later write
   * makes this snapshot unreadable, so only a complete file's is kept.
   */
  async snapshot(dir: string, fileId: string): Promise<File> {
    const d = await (await navigator.storage.getDirectory()).getDirectoryHandle(dir);
    return (await d.getFileHandle(dataName(fileId))).getFile();
  }
}

let shared: OpfsClient | undefined;

/** The page's one OPFS client, or undefined where OPFS cannot be used (not a secure context, no workers, no OPFS). */
export function opfsClient(): OpfsClient | undefined {
  if (shared) return shared;
  if (!globalThis.isSecureContext || typeof navigator?.storage?.getDirectory !== 'function' || typeof Worker !== 'function') return undefined;
  try {
    shared = new OpfsClient();
  } catch {
    return undefined;
  }
  return shared;
}
