/**
 * Saving a finished batch (protocol/batch.ts): every file into a folder the
 * person picks (File System Access `showDirectoryPicker`, Chromium desktop),
 * folders and all, or one file through the browser's downloads. Each file is
 * a slice of the Blob over the stored pieces (save.ts storedFileBlob), so
 * nothing is built in memory: the browser streams the slice from disk
 * (save.ts saveBlobAs). One file saved alone reads only the pieces it
 * spans (batchFileBlob).
 */
import { batchRanges, fileSlices } from '../../../protocol/batch.ts';
import type { StoredFile } from '../../../client/ports.ts';
import type { IdbPieceStore } from './idb-store.ts';
import { IncompleteFileError, saveBlobAs, storedFileBlob } from './save.ts';

type DirectoryPicker = (options?: { mode?: 'read' | 'readwrite'; id?: string }) => Promise<FileSystemDirectoryHandle>;

export function canPickFolder(): boolean {
  return typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/** Asks for a folder (a dialog: call from a click) and writes every file of the batch under it. Resolves with how many files it wrote. */
export async function saveBatchToFolder(store: IdbPieceStore, file: StoredFile): Promise<number> {
  const picker = (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot save into a folder you pick; save the files one by one');
  const files = file.meta.files;
  if (!files) throw new Error(`${file.meta.name} is a single file, not a batch`);
  // Read the pieces before the dialog: a missing one is said before anyone picks a folder.
  const whole = await storedFileBlob(store, file);
  const root = await picker({ mode: 'readwrite' });
  const folders = new Map<string, FileSystemDirectoryHandle>([['', root]]);
  for (const range of batchRanges(files)) {
    const segments = range.path.split('/');
    const name = segments.pop()!;
    const dir = await folderFor(root, folders, segments);
    const handle = await dir.getFileHandle(name, { create: true });
    const writable = await handle.createWritable();
    // pipeTo closes the file when the stream ends and aborts it on error: no half-written file is left open.
    await whole.slice(range.start, range.end).stream().pipeTo(writable);
  }
  return files.length;
}

/**
 * One file of a batch, by its path, handed to the browser's own download
 * under its own name.
 */
export async function saveBatchFile(store: IdbPieceStore, file: StoredFile, path: string): Promise<void> {
  const files = file.meta.files ?? [];
  const index = files.findIndex((f) => f.path === path);
  if (index < 0) throw new Error(`${file.meta.name} has no file ${path}`);
  saveBlobAs(await batchFileBlob(store, file, index), path.split('/').pop()!);
}

/**
 * File `index` of a batch as a Blob over its stored bytes: a slice of the
 * whole batch where the store holds it as one (getWholeBlob: a complete
 * OPFS batch, nothing read), else the pieces covering that file and only
 * those. The rest of the batch may not be here (one file downloaded
 * alone), and a batch still downloading has its OPFS pieces read into
 * memory, so reading every held piece would cost the page the whole
 * batch's size to save one small file of it.
 */
async function batchFileBlob(store: IdbPieceStore, file: StoredFile, index: number): Promise<Blob> {
  const files = file.meta.files ?? [];
  const range = batchRanges(files)[index];
  if (!range) throw new RangeError(`${file.meta.name} has no file ${index}`);
  const type = 'application/octet-stream';
  const whole = await store.getWholeBlob(file);
  if (whole) return whole.slice(range.start, range.end, type);
  const parts: Blob[] = [];
  for (const s of fileSlices(files, index, file.meta.pieceSize)) {
    const piece = await store.getPieceBlob(file.fileId, s.piece);
    if (!piece) throw new IncompleteFileError(`${range.path}: piece ${s.piece} of ${file.meta.name} is not stored yet`);
    if (piece.size < s.to) throw new IncompleteFileError(`${range.path}: piece ${s.piece} of ${file.meta.name} is stored shorter (${piece.size} bytes) than the file needs`);
    parts.push(piece.slice(s.from, s.to));
  }
  return new Blob(parts, { type });
}

async function folderFor(root: FileSystemDirectoryHandle, made: Map<string, FileSystemDirectoryHandle>, segments: string[]): Promise<FileSystemDirectoryHandle> {
  let dir = root;
  for (let i = 0; i < segments.length; i++) {
    const key = segments.slice(0, i + 1).join('/');
    let next = made.get(key);
    if (!next) made.set(key, (next = await dir.getDirectoryHandle(segments[i]!, { create: true })));
    dir = next;
  }
  return dir;
}
