/**
 * Messages between the page (opfs-client.ts) and the OPFS piece worker
 * (opfs-worker.ts). Each request carries an id; the worker answers each once.
 * `dir` is the user's directory (named as their IndexedDB database), `file`
 * the file id.
 */
export type OpfsRequest =
  | { id: number; op: 'probe' }
  | { id: number; op: 'write'; dir: string; file: string; index: number; slot: number; bytes: Uint8Array }
  | { id: number; op: 'flush'; dir: string; file: string }
  | { id: number; op: 'read'; dir: string; file: string; index: number; slot: number }
  | { id: number; op: 'lengths'; dir: string; file: string; count: number }
  | { id: number; op: 'delete'; dir: string; file: string }
  | { id: number; op: 'clear'; dir: string };

/**
 * `bytes`: a read's piece, or a write's piece handed back when another tab
 * holds the file; `written`: a write's buffer handed back once its bytes are
 * written (readable, not yet flushed: see opfs-worker.ts), for the page to
 * copy the next piece into.
 */
export type OpfsReply =
  | { id: number; ok: true; available?: boolean; bytes?: Uint8Array | null; lengths?: Uint32Array; locked?: boolean; written?: ArrayBuffer }
  | { id: number; ok: false; error: string };

/** Names inside the user's directory: the pieces at `index * slot`, and one little-endian u32 length per piece (0: not stored). */
export const dataName = (fileId: string) => `${fileId}.pieces`;
export const indexName = (fileId: string) => `${fileId}.index`;
