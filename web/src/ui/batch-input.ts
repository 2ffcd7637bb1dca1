/**
 * What a drop or a pick hands the app, as files with their paths: a dropped
 * folder is walked (webkitGetAsEntry, in every current browser), a folder
 * picked through `<input webkitdirectory>` names each file's place in
 * `webkitRelativePath`. One file alone is shared as it always was; several,
 * or any folder, become one batch (protocol/batch.ts): one catalogue entry,
 * one row, one notice.
 */
import { batchListProblem } from '../../../protocol/batch.ts';

export interface PickedFile {
  file: File;
  /** Its place under the batch's folder (`photos/2026/a.jpg`); the bare name for a file dropped alone. */
  path: string;
  /** Chromium's handle for a single dropped file: the share then serves the original after a reload. */
  handle?: FileSystemFileHandle;
}

export type SharePlan =
  | { kind: 'single'; file: File; handle?: FileSystemFileHandle }
  | { kind: 'batch'; name: string; files: PickedFile[] };

/**
 * One file → a single share; more, or any file under a folder → one batch,
 * named as the person typed, else after its one top folder, else "N files".
 * Files in a batch are ordered by path, so the same folder always makes the
 * same entry (the same id) whatever order the browser listed it in.
 */
export function planShare(picked: PickedFile[], typedName = ''): SharePlan | { kind: 'refused'; reason: string } | undefined {
  if (picked.length === 0) return undefined;
  const only = picked[0]!;
  if (picked.length === 1 && !only.path.includes('/')) return { kind: 'single', file: only.file, ...(only.handle ? { handle: only.handle } : {}) };
  const files = [...picked].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tops = new Set(files.map((f) => f.path.split('/')[0]!));
  const folder = tops.size === 1 && files.every((f) => f.path.includes('/')) ? [...tops][0]! : undefined;
  const name = typedName.trim() || folder || `${files.length} files`;
  const problem = batchListProblem(
    files.map((f) => ({ path: f.path, size: f.file.size })),
    files.reduce((n, f) => n + f.file.size, 0),
  );
  if (problem) return { kind: 'refused', reason: problem };
  return { kind: 'batch', name, files: files.map(({ file, path }) => ({ file, path })) };
}

/** Files from an `<input type=file>` (with `webkitdirectory`, each knows its folder path). */
export function pickedFromInput(files: FileList | File[]): PickedFile[] {
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

type HandleItem = DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };

/**
 * Files from a drop, folders walked. Everything the browser gives is asked
 * for synchronously, during the drop event itself (entries and handles are
 * gone after its first await); the walk then reads the folders.
 */
export async function pickedFromDrop(data: DataTransfer): Promise<PickedFile[]> {
  const items = [...data.items].filter((i) => i.kind === 'file') as HandleItem[];
  const entries = items.map((i) => i.webkitGetAsEntry?.() ?? null);
  if (entries.length > 0 && entries.every((e) => e !== null) && entries.some((e) => e!.isDirectory)) {
    const out: PickedFile[] = [];
    for (const entry of entries) await walk(entry!, '', out);
    return out;
  }
  const files = [...data.files];
  if (files.length !== 1) return files.map((file) => ({ file, path: file.name }));
  // One file: Chromium hands out a handle the share keeps, to serve the original after a reload.
  const asked = items.length === 1 ? items[0]!.getAsFileSystemHandle?.().catch(() => null) : undefined;
  const handle = await asked;
  return [{ file: files[0]!, path: files[0]!.name, ...(handle?.kind === 'file' ? { handle: handle as FileSystemFileHandle } : {}) }];
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in chunks (100 at a time in Chromium) until an empty one.
  for (;;) {
    const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (chunk.length === 0) break;
    for (const child of chunk) await walk(child, path, out);
  }
}
