/**
 * Batches: several files (a dropped folder, many files picked at once) shared
 * as one catalogue entry, as a multi-file torrent is. The entry's bytes are
 * the files' bytes one after another, in list order, cut into one piece
 * space: a piece may span a file boundary, and a file's byte range maps to
 * the pieces covering it. A single file has no list and is what it always was.
 *
 * Pure: the path rules both sides check (protocol/fields.ts runs them in its
 * zod schema, so a hostile list is refused at the tracker's edge with the
 * reason), and the mapping from a file to its bytes and pieces.
 */
import { MAX_BATCH_FILES, MAX_BATCH_PATH_LENGTH, MAX_BATCH_PATHS_TOTAL, MAX_FILE_NAME_LENGTH } from './constants.ts';

/** One file of a batch: where it goes under the folder it is saved into, and how many bytes it has. */
export interface BatchFile {
  path: string;
  size: number;
}

/** Characters no segment may hold: path separators of other systems, NUL and other control characters. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\\\u0000-\u001f\u007f]/;

/**
 * What is wrong with one relative path (segments joined by `/`), or
 * undefined. Refused: empty, absolute, `.`/`..` or empty segments (`a//b`,
 * a trailing `/`), a backslash or control character, a drive letter (`C:`),
 * a segment longer than a file name may be, the whole longer than
 * MAX_BATCH_PATH_LENGTH. Whatever passes can be joined under a folder and
 * stays inside it, on every system the app runs on.
 */
export function batchPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'a file path is empty';
  if (path.length > MAX_BATCH_PATH_LENGTH) return `a file path is longer than ${MAX_BATCH_PATH_LENGTH} characters`;
  if (path.startsWith('/')) return `${quote(path)} is an absolute path; batch paths are relative to the folder they are saved into`;
  if (FORBIDDEN.test(path)) return `${quote(path)} holds a backslash or a control character`;
  if (/^[A-Za-z]:/.test(path)) return `${quote(path)} starts with a drive letter`;
  for (const segment of path.split('/')) {
    if (segment === '') return `${quote(path)} has an empty segment (// or a trailing /)`;
    if (segment === '.' || segment === '..') return `${quote(path)} has a "${segment}" segment; batch paths may not climb out of their folder`;
    if (segment.length > MAX_FILE_NAME_LENGTH) return `${quote(path)} has a segment longer than ${MAX_FILE_NAME_LENGTH} characters`;
  }
  return undefined;
}

/**
 * What is wrong with a batch's file list for an entry of `size` bytes, or
 * undefined: at least one and at most MAX_BATCH_FILES files, each path valid
 * (batchPathProblem), no path twice and none both a file and a folder
 * (`a` and `a/b`), sizes whole and adding up to the entry's size.
 */
export function batchListProblem(files: readonly BatchFile[], size: number): string | undefined {
  if (files.length === 0) return 'a batch lists no files';
  if (files.length > MAX_BATCH_FILES) return `a batch lists ${files.length} files, more than ${MAX_BATCH_FILES}`;
  let chars = 0;
  let total = 0;
  const paths = new Set<string>();
  for (const f of files) {
    const problem = batchPathProblem(f.path);
    if (problem) return problem;
    if (!Number.isSafeInteger(f.size) || f.size < 0) return `${quote(f.path)} has a size that is not a whole number of bytes`;
    chars += f.path.length;
    total += f.size;
    // Lower case: two names one case-insensitive file system (macOS, Windows) would write as one file.
    const key = f.path.toLowerCase();
    if (paths.has(key)) return `${quote(f.path)} is listed twice`;
    paths.add(key);
  }
  if (chars > MAX_BATCH_PATHS_TOTAL) return `a batch's paths add up to ${chars} characters, more than ${MAX_BATCH_PATHS_TOTAL}`;
  for (const f of files) {
    const segments = f.path.toLowerCase().split('/');
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/');
      if (paths.has(folder)) return `${quote(folder)} is both a file and a folder in this batch`;
    }
  }
  if (total !== size) return `a batch's file sizes add up to ${total} bytes, not the ${size} it says it has`;
  return undefined;
}

/** Where each file's bytes lie in the batch: [start, end) offsets, in list order. */
export function batchRanges(files: readonly BatchFile[]): { path: string; size: number; start: number; end: number }[] {
  let start = 0;
  return files.map((f) => {
    const range = { path: f.path, size: f.size, start, end: start + f.size };
    start += f.size;
    return range;
  });
}

/**
 * The pieces covering bytes [start, end) of an entry cut into `pieceSize`
 * pieces: `{ first, last }` inclusive, or undefined for an empty range (an
 * empty file needs no piece at all).
 */
export function piecesOfRange(start: number, end: number, pieceSize: number): { first: number; last: number } | undefined {
  if (end <= start) return undefined;
  return { first: Math.floor(start / pieceSize), last: Math.floor((end - 1) / pieceSize) };
}

/**
 * How one file of a batch is read back from its pieces: for each piece that
 * covers it, in order, the slice [from, to) of that piece that belongs to the
 * file. Concatenated, the slices are the file's bytes.
 */
export function fileSlices(files: readonly BatchFile[], index: number, pieceSize: number): { piece: number; from: number; to: number }[] {
  const range = batchRanges(files)[index];
  if (!range) throw new RangeError(`a batch of ${files.length} files has no file ${index}`);
  const pieces = piecesOfRange(range.start, range.end, pieceSize);
  if (!pieces) return [];
  const out: { piece: number; from: number; to: number }[] = [];
  for (let p = pieces.first; p <= pieces.last; p++) {
    const pieceStart = p * pieceSize;
    out.push({ piece: p, from: Math.max(range.start, pieceStart) - pieceStart, to: Math.min(range.end, pieceStart + pieceSize) - pieceStart });
  }
  return out;
}


const quote = (path: string): string => JSON.stringify(path.length > 80 ? `${path.slice(0, 77)}...` : path);
