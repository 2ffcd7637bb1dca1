/**
 * Part of a batch: the files of a batch (protocol/batch.ts) someone asked
 * for, as the set of pieces that covers them. A piece that straddles two
 * files is wanted for either. No list (undefined) means the whole entry, and
 * a list only ever widens (asking for the whole, or another file, keeps what
 * is there). Pure.
 */
import { Bitfield } from '../protocol/bitfield.ts';
import { batchRanges, piecesOfRange, type BatchFile } from '../protocol/batch.ts';
import type { FileMeta } from '../protocol/tracker.ts';

/** The pieces covering the files at `paths` of a batch; undefined (the whole entry) without a list, or for a single file. */
export function wantedPieces(meta: Pick<FileMeta, 'files' | 'pieceSize' | 'pieceHashes'>, paths: readonly string[] | undefined): Bitfield | undefined {
  if (!paths || !meta.files) return undefined;
  const wanted = new Bitfield(meta.pieceHashes.length);
  const asked = new Set(paths);
  for (const range of batchRanges(meta.files)) {
    if (!asked.has(range.path)) continue;
    const pieces = piecesOfRange(range.start, range.end, meta.pieceSize);
    if (pieces) for (let p = pieces.first; p <= pieces.last; p++) wanted.set(p);
  }
  return wanted;
}

/** The paths of `paths` the batch does not list (bad input: said before anything changes). */
export function unknownPaths(files: readonly BatchFile[] | undefined, paths: readonly string[]): string[] {
  const listed = new Set((files ?? []).map((f) => f.path));
  return paths.filter((p) => !listed.has(p));
}

/**
 * What is wanted after asking for `more` on top of `current` (either
 * undefined: the whole entry). Only ever widens; the result lists paths in
 * the batch's own order, and collapses to undefined once every file is in.
 */
export function widen(files: readonly BatchFile[] | undefined, current: readonly string[] | undefined, more: readonly string[] | undefined): string[] | undefined {
  if (!files || !current || !more) return undefined;
  const union = new Set([...current, ...more]);
  const out = files.map((f) => f.path).filter((p) => union.has(p));
  return out.length === files.length ? undefined : out;
}

/** Is every piece covering file `index` of the batch held? (An empty file is, always.) */
export function fileHeld(files: readonly BatchFile[], index: number, pieceSize: number, has: (piece: number) => boolean): boolean {
  const range = batchRanges(files)[index];
  if (!range) return false;
  const pieces = piecesOfRange(range.start, range.end, pieceSize);
  if (!pieces) return true;
  for (let p = pieces.first; p <= pieces.last; p++) if (!has(p)) return false;
  return true;
}

/** Are all of `wanted`'s pieces in `have`? Undefined wanted: is `have` complete? */
export function covers(have: Bitfield, wanted: Bitfield | undefined): boolean {
  if (!wanted) return have.isComplete();
  for (let i = 0; i < wanted.length; i++) if (wanted.has(i) && !have.has(i)) return false;
  return true;
}
