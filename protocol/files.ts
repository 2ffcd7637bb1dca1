/**
 * A file's identity: the SHA-1 of its canonical metadata. The same bytes
 * shared into the same group always get the same id; anything else a different one.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { FileMeta } from './tracker.ts';

/** One canonical text per metadata: fixed field order, no whitespace. */
export function canonicalFileMeta(meta: FileMeta): string {
  return JSON.stringify([meta.groupId, meta.name, meta.size, meta.pieceSize, meta.pieceHashes]);
}

export function fileIdOf(meta: FileMeta): string {
  return bytesToHex(sha1(utf8ToBytes(canonicalFileMeta(meta))));
}

/** Pieces a file of `size` bytes splits into. */
export const pieceCountOf = (size: number, pieceSize: number): number => Math.ceil(size / pieceSize);
