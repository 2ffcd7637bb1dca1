/**
 * A file's identity: the SHA-1 of its canonical metadata. The same bytes
 * shared into the same group always get the same id; anything else a different one.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { FileMeta } from './tracker.ts';

/**
 * One canonical text per metadata: fixed field order, no whitespace. A
 * batch's file list comes last, only when there is one, so a single file's
 * text (and id) is what it always was.
 */
export function canonicalFileMeta(meta: FileMeta): string {
  const fields: unknown[] = [meta.groupId, meta.name, meta.size, meta.pieceSize, meta.pieceHashes];
  if (meta.files) fields.push(meta.files.map((f) => [f.path, f.size]));
  return JSON.stringify(fields);
}

export function fileIdOf(meta: FileMeta): string {
  return bytesToHex(sha1(utf8ToBytes(canonicalFileMeta(meta))));
}

/** Pieces a file of `size` bytes splits into. */
export const pieceCountOf = (size: number, pieceSize: number): number => Math.ceil(size / pieceSize);
