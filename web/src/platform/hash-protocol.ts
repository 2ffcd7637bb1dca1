/** Messages between hasher.ts (page) and hash-worker.ts (Web Worker). */

export type HashRequest =
  /** SHA-1 of one buffer, transferred in (a copy the page made). */
  | { id: number; kind: 'sha1'; buffer: ArrayBuffer; offset: number; length: number }
  /** SHA-1 of every piece of a File/Blob, read inside the worker (the page never holds the bytes). */
  | { id: number; kind: 'file'; file: Blob; pieceSize: number }
  /** Stop hashing that file: the person cancelled the share (no reply; the page has already given up on it). */
  | { id: number; kind: 'cancel' };

export type HashReply =
  /** `buffer`: the request's buffer, transferred back for the page to use again. */
  | { id: number; kind: 'sha1'; hex: string; buffer: ArrayBuffer }
  | { id: number; kind: 'progress'; piecesDone: number; bytesDone: number }
  | { id: number; kind: 'file'; hashes: string[] }
  | { id: number; kind: 'error'; message: string }
  /** Sent once when the worker starts: which SHA-1 it uses. */
  | { id: 0; kind: 'ready'; engine: HashEngine };

/** Which SHA-1 the worker ended up with, reported once at start-up. */
export type HashEngine = 'webcrypto' | 'noble';
