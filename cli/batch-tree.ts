/**
 * A downloaded batch (protocol/batch.ts) written out as the tree it lists:
 * the store holds the batch's bytes as one run (its one piece space); each
 * file is its byte range of that run, copied to its path under the folder.
 * The paths were checked where the metadata was parsed (protocol/fields.ts);
 * each is checked again to resolve inside the folder before anything is
 * written, so no list can write outside it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { batchRanges, type BatchFile } from '../protocol/batch.ts';

/** Writes every file of the batch whose bytes are at `bytesPath` under `folder` (made if missing). Refuses to overwrite anything, before writing. */
export async function writeBatchTree(bytesPath: string, files: readonly BatchFile[], folder: string): Promise<void> {
  const root = resolve(folder);
  const ranges = batchRanges(files).map((r) => ({ ...r, target: resolve(join(root, ...r.path.split('/'))) }));
  for (const r of ranges) {
    if (!r.target.startsWith(root + sep)) throw new Error(`${JSON.stringify(r.path)} would land outside ${root}`);
  }
  for (const r of ranges) {
    if (await stat(r.target).catch(() => undefined)) throw new Error(`${r.target} already exists: give another folder, or remove it first`);
  }
  await mkdir(root, { recursive: true });
  for (const r of ranges) {
    await mkdir(dirname(r.target), { recursive: true });
    if (r.size === 0) {
      await (await open(r.target, 'wx', 0o644)).close();
      continue;
    }
    await pipeline(createReadStream(bytesPath, { start: r.start, end: r.end - 1 }), createWriteStream(r.target, { flags: 'wx', mode: 0o644 }));
  }
}

/** Writes file `index` of the batch whose bytes are at `bytesPath` to `target`, refusing to overwrite (one file of a batch downloaded alone). */
export async function writeBatchFile(bytesPath: string, files: readonly BatchFile[], index: number, target: string): Promise<void> {
  const range = batchRanges(files)[index];
  if (!range) throw new Error(`the batch has no file ${index}`);
  if (range.size === 0) return (await open(target, 'wx', 0o644)).close();
  await pipeline(createReadStream(bytesPath, { start: range.start, end: range.end - 1 }), createWriteStream(target, { flags: 'wx', mode: 0o644 }));
}
