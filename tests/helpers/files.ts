/** File metadata for tests: real SHA-1 of real bytes, as a browser would compute it. */
import { createHash, randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { fileIdOf } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';

/**
 * The SHA-1 of every piece, as the platform computes it before it shares
 * (the browser's hashing worker, the command line on disk): the engine
 * takes them, it does not hash a file itself.
 */
export function pieceHashesOf(bytes: Uint8Array): string[] {
  const pieceHashes: string[] = [];
  for (let off = 0; off < bytes.length; off += PIECE_SIZE) {
    pieceHashes.push(createHash('sha1').update(bytes.subarray(off, off + PIECE_SIZE)).digest('hex'));
  }
  return pieceHashes;
}

export function metaOf(groupId: string, name: string, bytes: Uint8Array): { fileId: string; meta: FileMeta } {
  const pieceHashes = pieceHashesOf(bytes);
  const meta: FileMeta = { groupId, name, size: bytes.length, pieceSize: PIECE_SIZE, pieceHashes };
  return { fileId: fileIdOf(meta), meta };
}

export const randomFile = (groupId: string, name = 'notes.bin', size = 3 * PIECE_SIZE + 1234) => metaOf(groupId, name, randomBytes(size));

/** Deterministic bytes, different per seed: files whose content a test can name and rebuild. */
export function bytesOf(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
