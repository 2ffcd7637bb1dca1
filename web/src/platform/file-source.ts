/**
 * Where a shared file's bytes come from after it is shared.
 *
 * - Chromium-based desktop browsers (Chrome, Edge, Opera, Brave) hand out a
 *   FileSystemFileHandle for a dropped file (`getAsFileSystemHandle`, asked
 *   for in DropZone.svelte): the share keeps it in IndexedDB, the original
 *   file stays the only copy, and after a reload the page asks permission to
 *   read it again (one click).
 * - Firefox, Safari, and any file chosen through an <input type=file>, get no
 *   handle that survives a reload: the engine copies the pieces into
 *   IndexedDB while sharing, so the file stays seedable.
 *
 * Both paths read pieces with `Blob.slice().arrayBuffer()`: one piece in
 * memory at a time, whatever the file's size. A BlobPieceSource reads from
 * one snapshot of the File taken when it is made (`snapshotOf`): a File's
 * own slice() asks the browser process for the file's metadata each time
 * (the `slice` cost in docs/transfer-profile.md), and a snapshot fails to
 * read once the file changed on disk (the File API's snapshot state), so
 * its pieces need no second SHA-1 when served (PieceSource.unchanging).
 * Hash the same snapshot the source reads, so the hashes describe it.
 */
import type { PieceSource } from '../../../client/ports.ts';
import type { IdbPieceStore } from './idb-store.ts';

/** The parts of the File System Access API used here (not yet in TypeScript's DOM library). */
interface PermissionedHandle extends FileSystemFileHandle {
  queryPermission?(descriptor: { mode: 'read' | 'readwrite' }): Promise<PermissionState>;
  requestPermission?(descriptor: { mode: 'read' | 'readwrite' }): Promise<PermissionState>;
}

/** What is kept beside a handle, to notice the original changed on disk since it was hashed. */
interface KeptHandle {
  handle: PermissionedHandle;
  size: number;
  lastModified: number;
}

/** One snapshot of a File (a Blob of its bytes as they are now, which fails to read once they change); any other Blob as it is. */
export function snapshotOf(file: Blob): Blob {
  return file instanceof File ? file.slice(0, file.size, file.type) : file;
}

export class BlobPieceSource implements PieceSource {
  readonly unchanging = true;
  readonly file: Blob;

  constructor(
    file: Blob,
    readonly pieceSize: number,
  ) {
    this.file = snapshotOf(file);
  }

  async readPiece(index: number): Promise<Uint8Array> {
    const start = index * this.pieceSize;
    if (index < 0 || start >= this.file.size) throw new RangeError(`piece ${index} is outside the file`);
    return new Uint8Array(await this.file.slice(start, Math.min(this.file.size, start + this.pieceSize)).arrayBuffer());
  }

  /** Several pieces in one Blob read (one round trip to the browser process), each a view of it. */
  async readPieces(first: number, count: number): Promise<Uint8Array[]> {
    const start = first * this.pieceSize;
    if (first < 0 || count < 1 || start >= this.file.size) throw new RangeError(`pieces ${first}+${count} are outside the file`);
    const end = Math.min(this.file.size, start + count * this.pieceSize);
    const bytes = await this.file.slice(start, end).arrayBuffer();
    const out: Uint8Array[] = [];
    for (let at = 0; at < bytes.byteLength; at += this.pieceSize) out.push(new Uint8Array(bytes, at, Math.min(this.pieceSize, bytes.byteLength - at)));
    return out;
  }
}

/** Remembers the handle of a file just shared, so a reload can read it again. */
export async function keepFileHandle(store: IdbPieceStore, fileId: string, handle: FileSystemFileHandle): Promise<void> {
  const file = await handle.getFile();
  await store.putHandle(fileId, { handle, size: file.size, lastModified: file.lastModified } satisfies KeptHandle);
}

export type ReopenResult =
  | { status: 'ready'; source: BlobPieceSource }
  /** The browser wants a click before it lets the page read the file again: call again with `ask: true` from a click handler. */
  | { status: 'needs-permission'; name: string }
  /** No handle kept, the user refused, or the file changed or vanished on disk: its pieces cannot be served. */
  | { status: 'unavailable'; reason: string };

/**
 * Re-opens a shared original after a reload. `ask` may show the browser's
 * permission prompt, which needs a user gesture (a click), so the UI passes
 * it only from one.
 */
export async function reopenFileSource(store: IdbPieceStore, fileId: string, pieceSize: number, ask = false): Promise<ReopenResult> {
  const kept = await store.getHandle<KeptHandle>(fileId);
  if (!kept) return { status: 'unavailable', reason: 'no file handle was kept for this share' };
  const { handle } = kept;
  let permission: PermissionState = (await handle.queryPermission?.({ mode: 'read' })) ?? 'granted';
  if (permission === 'prompt' && ask) permission = (await handle.requestPermission?.({ mode: 'read' })) ?? 'denied';
  if (permission === 'prompt') return { status: 'needs-permission', name: handle.name };
  if (permission !== 'granted') return { status: 'unavailable', reason: `reading ${handle.name} was not allowed` };
  let file: File;
  try {
    file = await handle.getFile();
  } catch (err) {
    return { status: 'unavailable', reason: `${handle.name} can no longer be read (${(err as Error).name})` };
  }
  // Its hashes describe the bytes as they were; a changed file would only feed peers bad pieces.
  if (file.size !== kept.size || file.lastModified !== kept.lastModified) {
    return { status: 'unavailable', reason: `${handle.name} changed on disk since it was shared` };
  }
  return { status: 'ready', source: new BlobPieceSource(file, pieceSize) };
}
