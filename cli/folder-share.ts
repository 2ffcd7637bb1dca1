/**
 * `upload_file <folder>`: a folder on disk read as one batch (protocol/batch.ts),
 * under the same rules the browser's folder pick follows (cli's batch paths
 * start with the folder's own name, `holiday/day 2/a.jpg`, as
 * `webkitRelativePath` does). Regular files only: a symbolic link or a
 * device is skipped and named, so sharing a folder never reaches outside it.
 * The files' bytes, one after another, are the batch's one piece space:
 * TreeSource reads a piece across file boundaries.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { batchListProblem, type BatchFile } from '../protocol/batch.ts';
import { MAX_BATCH_FILES, PIECE_SIZE } from '../protocol/constants.ts';
import type { PieceSource } from '../client/ports.ts';

export interface FolderFile extends BatchFile {
  /** Where it is on disk. */
  abs: string;
}

export interface Folder {
  /** The batch's name: the folder's own. */
  name: string;
  files: FolderFile[];
  size: number;
  /** Paths left out, with why (links, devices). */
  skipped: string[];
}

/**
 * The folder's regular files, in name order, folder by folder; its problem (too many files, a bad name,
 * none at all) as an Error. `ownDirs` (absolute) are left out and named: meshdrop's own session and data,
 * when someone shares the home folder that holds them (the session token would go to the whole group).
 */
export async function readFolder(dir: string, ownDirs: readonly string[] = []): Promise<Folder> {
  const name = basename(dir);
  const files: FolderFile[] = [];
  const skipped: string[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = (await readdir(abs, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    for (const e of entries) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory() && ownDirs.includes(join(abs, e.name))) skipped.push(`${path} (meshdrop's own sign-in and data)`);
      else if (e.isDirectory()) await walk(join(abs, e.name), path);
      else if (e.isFile()) {
        // Stop early: a tree of a million files is refused without listing it all.
        if (files.length >= MAX_BATCH_FILES) throw new Error(`${name} holds more than ${MAX_BATCH_FILES} files, more than one entry may list`);
        files.push({ path, size: (await stat(join(abs, e.name))).size, abs: join(abs, e.name) });
      } else skipped.push(`${path} (${e.isSymbolicLink() ? 'a link' : 'not a regular file'})`);
    }
  };
  await walk(dir, name);
  if (files.length === 0) throw new Error(`${name} holds no files to share`);
  const size = files.reduce((n, f) => n + f.size, 0);
  const problem = batchListProblem(files, size);
  if (problem) throw new Error(problem);
  return { name, files, size, skipped };
}

/** The batch's pieces, read across its files' boundaries. */
export class TreeSource implements PieceSource {
  readonly #files: { abs: string; start: number; end: number }[] = [];
  readonly size: number;

  constructor(files: readonly FolderFile[]) {
    let start = 0;
    for (const f of files) {
      this.#files.push({ abs: f.abs, start, end: start + f.size });
      start += f.size;
    }
    this.size = start;
  }

  async readPiece(index: number): Promise<Uint8Array> {
    const from = index * PIECE_SIZE;
    const to = Math.min(this.size, from + PIECE_SIZE);
    const out = new Uint8Array(Math.max(0, to - from));
    for (const f of this.#files) {
      if (f.end <= from || f.start >= to || f.end === f.start) continue;
      const a = Math.max(from, f.start);
      const b = Math.min(to, f.end);
      const fh = await open(f.abs, 'r');
      try {
        const { bytesRead } = await fh.read(out, a - from, b - a, a - f.start);
        if (bytesRead !== b - a) throw new Error(`${f.abs} changed while it was read (it is shorter now)`);
      } finally {
        await fh.close();
      }
    }
    return out;
  }
}

/** SHA-1 of every piece of the tree; `onProgress` after each. */
export async function hashTree(source: TreeSource, onProgress?: (done: number, total: number) => void): Promise<string[]> {
  const total = Math.ceil(source.size / PIECE_SIZE);
  const hashes: string[] = [];
  for (let i = 0; i < total; i++) {
    hashes.push(createHash('sha1').update(await source.readPiece(i)).digest('hex'));
    onProgress?.(i + 1, total);
  }
  return hashes;
}
