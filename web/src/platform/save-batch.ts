/**
 * Saving a finished batch (protocol/batch.ts): every file into a folder the
 * person picks (File System Access `showDirectoryPicker`, Chromium desktop),
 * folders and all, or one file through the browser's downloads. Each file is
 * a slice of the Blob over the stored pieces (save.ts storedFileBlob), so
 * nothing is built in memory: the browser streams the slice from disk
 * (save.ts saveBlobAs).
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
 * under its own name. Only the pieces covering it are read: the rest of the
 * batch may not be here (one file downloaded alone).
 */
export async function saveBatchFile(store: IdbPieceStore, file: StoredFile, path: string): Promise<void> {
  const files = file.meta.files ?? [];
  const index = files.findIndex((f) => f.path === path);
  if (index < 0) throw new Error(`${file.meta.name} has no file ${path}`);
  const blobs = await store.getPieceBlobs(file.fileId, file.meta.pieceHashes.length);
  const parts: Blob[] = [];
  for (const s of fileSlices(files, index, file.meta.pieceSize)) {
    const piece = blobs[s.piece];
    if (!piece) throw new IncompleteFileError(`${path}: piece ${s.piece} of ${file.meta.name} is not stored yet`);
    parts.push(piece.slice(s.from, s.to));
  }
  saveBlobAs(new Blob(parts, { type: 'application/octet-stream' }), path.split('/').pop()!);
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
