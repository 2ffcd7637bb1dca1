/**
 * What the app needs from the transfer engine, in the UI's own terms. The
 * browser build fills it from client/engine.ts with the browser platform
 * (web/src/ui/start-transfers.ts); the screens and the console only see this.
 */
import type { FileSummary } from '../../../protocol/tracker.ts';
import type { DownloadView, SharePhase } from './transfers.svelte.ts';

export interface SpeedLimits {
  downloadBytesPerSecond: number;
  uploadBytesPerSecond: number;
}

export interface TransferPort {
  /**
   * Checks the file (hashes its pieces, phase 'checking', progress 0..1),
   * registers it in the group and starts seeding. With a file handle
   * (Chromium) the original is served from disk and re-opened after a
   * reload; without one its pieces are first copied into the browser's
   * storage so it stays seedable (phase 'storing', its own 0..1). Aborting
   * `signal` before it is registered stops it there and leaves nothing.
   */
  share(
    groupId: string,
    file: File,
    onProgress: (phase: SharePhase, fraction: number) => void,
    handle?: FileSystemFileHandle,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Shares several files as one batch entry (protocol/batch.ts): their bytes
   * one after another are checked as one piece space ('checking') and copied
   * into the browser's storage ('storing'), as a file without a handle is.
   */
  shareBatch(
    groupId: string,
    name: string,
    files: { file: File; path: string }[],
    onProgress: (phase: SharePhase, fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Saves a complete batch: `'folder'` writes every file, folders and all,
   * into a folder the person picks (File System Access; call from a click);
   * a path saves that one file through the browser's downloads, once its
   * own pieces are held (the rest of the batch need not be).
   */
  saveBatch(fileId: string, what: 'folder' | { path: string }): Promise<void>;
  /** True where a batch can be saved whole into a picked folder (showDirectoryPicker). */
  readonly canPickFolder: boolean;
  /** Starts (or continues) downloading a file of a group I belong to; `paths`: of a batch, only these files (widens a download under way). */
  download(file: FileSummary, paths?: string[]): Promise<void>;
  pause(fileId: string): Promise<void>;
  resume(fileId: string): Promise<void>;
  /** Stops and deletes what is stored, freeing the space. */
  remove(fileId: string): Promise<void>;
  /** Saves a complete file: 'download' hands it to the browser's downloads; 'picker' streams it to a file the user picks. */
  save(fileId: string, method: 'download' | 'picker'): Promise<void>;
  /** True where "Save as…" can stream to a file of the user's choice. */
  readonly canPickSaveLocation: boolean;
  /**
   * Picks a destination (call from a click) and writes every verified piece
   * there as it verifies; with `again`, asks once more for the permission a
   * reload took away from the destination already picked.
   */
  saveAsItArrives(fileId: string, again?: boolean): Promise<void>;
  /** A shared original that needs the user's permission again after a reload (call from a click). */
  reattach(fileId: string): Promise<void>;
  /** Speed caps for this tab, bytes per second; 0 = no cap. */
  setLimits(limits: SpeedLimits): void;
  readonly limits: SpeedLimits;
  /** Every file this tab holds or fetches, shared ones included. */
  snapshot(): DownloadView[];
  /** Called whenever the snapshot may have changed. */
  onChange(listener: () => void): () => void;
  /** Things worth telling the user: a download completed, a peer sent bad data. */
  onNotice(listener: (kind: 'info' | 'success' | 'error', text: string, fileId?: string) => void): () => void;
  /** Stops every transfer of this session (sign-out). */
  close(): void;
}
