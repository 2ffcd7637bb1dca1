/**
 * What the app needs from the transfer engine, in the UI's own terms. The
 * browser build fills it from client/engine.ts with the browser platform
 * (web/src/platform/); the screens and the console only see this.
 */
import type { FileSummary } from '../../../protocol/tracker.ts';
import type { DownloadView } from './transfers.svelte.ts';

export interface TransferPort {
  /** Fingerprints the file (progress 0..1 as it goes), registers it in the group and starts seeding. */
  share(groupId: string, file: File, onProgress: (fraction: number) => void): Promise<void>;
  /** Starts (or continues) downloading a file of a group I belong to. */
  download(file: FileSummary): Promise<void>;
  pause(fileId: string): Promise<void>;
  resume(fileId: string): Promise<void>;
  /** Stops and deletes what is stored, freeing the space. */
  remove(fileId: string): Promise<void>;
  /** Saves a complete file to disk. */
  save(fileId: string): Promise<void>;
  /** The downloads as they are now. */
  snapshot(): DownloadView[];
  /** Called whenever the snapshot may have changed (throttled by the port). */
  onChange(listener: () => void): () => void;
  /** A peer sent bad data, a piece failed: things worth telling the user. */
  onNotice?(listener: (text: string) => void): () => void;
}
