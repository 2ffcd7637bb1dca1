/**
 * Saving a finished download without building it in memory.
 *
 * The whole file is a Blob over what is on disk: one slice of the OPFS
 * file where the store holds the pieces end to end (getWholeBlob), else a
 * Blob made of the stored piece Blobs. Chromium keeps those on disk, and a
 * Blob of Blobs only references them (512 MiB streamed
 * kept the renderer under 360 MiB; `arrayBuffer()` of it took 800 MiB,
 * measured in Chromium). Where the File System Access API exists (Chromium desktop) its
 * stream is piped into a file the user picks; elsewhere a Blob URL is handed to
 * the browser's own download, which reads it from disk as it writes.
 */
import type { StoredFile } from '../../../client/ports.ts';
import type { IdbPieceStore } from './idb-store.ts';

type SavePicker = (options?: { suggestedName?: string }) => Promise<FileSystemFileHandle>;

/** How long a Blob URL outlives the click that started its download: the browser reads it as it saves. */
const BLOB_URL_LIFETIME_MS = 60_000;

export class IncompleteFileError extends Error {
  override readonly name = 'IncompleteFileError';
}

/** The finished file as one Blob over its stored pieces (nothing read yet); refuses a file with a piece missing or short. */
export async function storedFileBlob(store: IdbPieceStore, file: StoredFile): Promise<Blob> {
  const whole = await store.getWholeBlob(file);
  if (whole) return whole;
  const count = file.meta.pieceHashes.length;
  const blobs = await store.getPieceBlobs(file.fileId, count);
  const missing = blobs.findIndex((b) => b === undefined);
  if (missing >= 0) throw new IncompleteFileError(`${file.meta.name}: piece ${missing} of ${count} is not stored`);
  const blob = new Blob(blobs as Blob[], { type: 'application/octet-stream' });
  if (blob.size !== file.meta.size) throw new IncompleteFileError(`${file.meta.name}: stored pieces add up to ${blob.size} bytes, not ${file.meta.size}`);
  return blob;
}

export type SaveMethod = 'picker' | 'download';

export function canStreamToDisk(): boolean {
  return typeof (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function';
}

/**
 * Saves a complete stored file. `method` defaults to the File System Access
 * picker where it exists (call from a click: it shows a dialog), else a
 * download of a Blob URL. Resolves with the method used, once the bytes are
 * written (picker) or handed to the browser (download).
 */
export async function saveStoredFile(
  store: IdbPieceStore,
  file: StoredFile,
  method: SaveMethod = canStreamToDisk() ? 'picker' : 'download',
): Promise<SaveMethod> {
  const blob = await storedFileBlob(store, file);
  if (method === 'picker') {
    const picker = (globalThis as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
    if (!picker) throw new Error('this browser cannot stream a file to disk (no showSaveFilePicker)');
    const handle = await picker({ suggestedName: file.meta.name });
    const writable = await handle.createWritable();
    // pipeTo closes the file when the stream ends and aborts it on error: no half-written file is left open.
    await blob.stream().pipeTo(writable);
    return 'picker';
  }
  saveBlobAs(blob, file.meta.name);
  return 'download';
}

/**
 * Hands a Blob to the browser's own download under `name`: a hidden
 * `<a download>` over a Blob URL, clicked. The browser reads the Blob as it
 * writes (from disk, for a Blob of stored pieces), so nothing is built in
 * memory; the URL is revoked once the browser has had time to read it.
 */
export function saveBlobAs(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), BLOB_URL_LIFETIME_MS);
}
