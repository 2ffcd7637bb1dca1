/**
 * The command line's batch commands (protocol/batch.ts): `upload_file
 * <folder>` shares a folder as one entry (cli/folder-share.ts), and
 * `download_file` of a batch writes its tree, or fetches and writes one file
 * of it alone (the engine's wanted set, client/wanted.ts). Apart from
 * cli/client.ts, which hands them what they use (BatchHost).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PIECE_SIZE } from '../protocol/constants.ts';
import { fileIdOf } from '../protocol/files.ts';
import type { FileSummary } from '../protocol/tracker.ts';
import type { TransferEngine } from '../client/engine.ts';
import type { TrackerClient } from '../client/tracker.ts';
import { ConsoleError } from '../client/commands/run.ts';
import { formatBytes } from '../client/commands/format.ts';
import { writeBatchFile, writeBatchTree } from './batch-tree.ts';
import { destinationOf } from './destination.ts';
import { hashTree, readFolder, TreeSource, type Folder } from './folder-share.ts';
import type { FilePieceStore } from './platform/file-store.ts';
import { Progress, type ProgressOutput } from './progress.ts';

/** What the batch commands use of the command line's client. */
export interface BatchHost {
  readonly tracker: TrackerClient;
  readonly progress: ProgressOutput | undefined;
  engine(): TransferEngine;
  readonly store: FilePieceStore;
  /** One-shot mode: the engine resumes and serves this file too. */
  include(fileId: string): void;
  /** The structured answer, for --json. */
  setData(data: unknown): void;
  /** Shows a download's progress until it is complete (`part`: until that file of a batch is here). */
  untilDownloaded(file: FileSummary, part?: { label: string; size: number }): Promise<void>;
}

/**
 * upload_file <folder> <group>: the folder as one batch entry with its file
 * list (cli/folder-share.ts), as the browser shares a picked folder. Its
 * pieces are copied into the store (as the browser copies a batch): a tree
 * has no one path to serve from after a restart, and a file edited later
 * does not change what was shared.
 */
export async function shareFolder(host: BatchHost, path: string, abs: string, groupId: string, ownDirs: readonly string[]): Promise<string> {
  let folder: Folder;
  try {
    folder = await readFolder(abs, ownDirs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConsoleError(code === 'EACCES' ? `${path} cannot be read (permission denied).` : `${path} cannot be shared: ${(err as Error).message}.`, 'local');
  }
  await host.tracker.request('list_files', { groupId });
  const source = new TreeSource(folder.files);
  const bar = new Progress(host.progress, `Hashing ${folder.name}`, folder.size);
  let pieceHashes: string[];
  try {
    pieceHashes = await hashTree(source, (done) => bar.update(Math.min(folder.size, done * PIECE_SIZE)));
  } finally {
    bar.finish();
  }
  const files = folder.files.map((f) => ({ path: f.path, size: f.size }));
  const fileId = fileIdOf({ groupId, name: folder.name, size: folder.size, pieceSize: PIECE_SIZE, pieceHashes, files });
  host.include(fileId);
  const engine = host.engine();
  const copy = new Progress(host.progress, `Storing ${folder.name}`, pieceHashes.length);
  try {
    await engine.share({ source, name: folder.name, size: folder.size, groupId, keep: 'store', pieceHashes, files, onStored: (stored) => copy.update(stored) });
  } finally {
    copy.finish();
  }
  host.setData({ fileId, name: folder.name, groupId, size: folder.size, files: files.length, pieces: pieceHashes.length, skipped: folder.skipped });
  const skipped = folder.skipped.length ? ` Left out: ${folder.skipped.join(', ')}.` : '';
  return `Shared ${folder.name} in ${groupId} (${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(folder.size)}).${skipped}`;
}

/**
 * A batch (a folder, many files as one entry): its bytes are fetched into
 * the store as one run, then written out as its tree under the folder
 * `dest` (cli/batch-tree.ts), each file at its path there. Waits for the whole batch, in
 * the shell too: the tree is written once every piece is verified.
 */
export async function downloadBatch(host: BatchHost, file: FileSummary, dest: string): Promise<string> {
  const engine = host.engine();
  const store = host.store;
  const info = await stat(dest).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConsoleError(`${file.name} holds ${file.fileCount} files: give a folder to put them in (${dest} is not one).`, 'local');
  // Its paths name the folder a dropped folder had (holiday/…), as the browser's "Save all into a folder" writes them.
  const target = resolve(dest);
  host.setData({ fileId: file.fileId, name: file.name, groupId: file.groupId, size: file.size, path: target });
  host.include(file.fileId);
  await engine.download(file.fileId);
  await host.untilDownloaded(file);
  const files = engine.info(file.fileId)?.files;
  const bytes = await store.pathOf(file.fileId);
  if (!files || !bytes) throw new ConsoleError(`${file.name}: its file list or bytes are missing here`, 'local');
  await writeBatchTree(bytes, files, target);
  return `Downloaded ${file.name} (${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(file.size)}) into ${target}.`;
}

/**
 * One file of a batch, by its path there: only the pieces covering it are
 * fetched (engine.download's wanted set), then its bytes are written to
 * `dest` (a file path, or into a directory under its own name). Asking for
 * another file later, or the whole batch, keeps what is here.
 */
export async function downloadBatchFile(host: BatchHost, file: FileSummary, dest: string, path: string): Promise<string> {
  const engine = host.engine();
  const store = host.store;
  const { file: shared } = await host.tracker.request('get_file', { fileId: file.fileId });
  const files = shared.meta.files ?? [];
  const index = files.findIndex((f) => f.path === path);
  if (index < 0) throw new ConsoleError(`${file.name} has no file ${JSON.stringify(path)}. list_files names the batch; its paths are as it was shared (e.g. ${JSON.stringify(files[0]?.path ?? '')}).`, 'local');
  const name = path.split('/').pop()!;
  const target = await destinationOf({ ...file, name }, dest);
  host.setData({ fileId: file.fileId, name: file.name, groupId: file.groupId, path, size: files[index]!.size, target });
  host.include(file.fileId);
  await engine.download(file.fileId, { paths: [path] });
  await host.untilDownloaded(file, { label: name, size: files[index]!.size });
  const bytes = await store.pathOf(file.fileId);
  if (!bytes) throw new ConsoleError(`${file.name}: its bytes are missing here`, 'local');
  await writeBatchFile(bytes, files, index, target);
  return `Downloaded ${path} of ${file.name} (${formatBytes(files[index]!.size)}) to ${target}.`;
}
