/**
 * What a person does with files in this tab, on the transfer engine of the
 * signed-in session (a TransferPort, web/src/ui/start-transfers.ts): share,
 * download, pause, resume, remove, save, speed limits, re-allow an original.
 * The app controller (app.ts) plugs the port in at sign-in and takes it out
 * at sign-out; buttons call these, the console reaches them through the app.
 */
import type { FileSummary } from '../../../protocol/tracker.ts';
import type { DownloadLine } from '../../../client/commands/run.ts';
import { describeError, InWords } from '../../../client/commands/errors.ts';
import { fileNameTooLong } from '../../../client/commands/format.ts';
import { ErrorCode } from '../../../protocol/errors.ts';
import type { NoticesState } from './notices.svelte.ts';
import type { SpeedLimitStore } from './speed-limit-store.ts';
import type { SpeedLimits, TransferPort } from './transfer-port.ts';
import type { TransfersState } from './transfers.svelte.ts';

export class TransferActions {
  readonly #transfers: TransfersState;
  readonly #notices: NoticesState;
  readonly #limitStore: SpeedLimitStore | undefined;
  #port: TransferPort | undefined;
  /** Whose session the port is: their speed limits are kept under their id. */
  #userId: string | undefined;
  #unsubscribe: (() => void)[] = [];
  /** Shares not yet registered, by their key in TransfersState: aborting one cancels it. */
  readonly #cancels = new Map<number, AbortController>();
  /** Told each finished download's name (the app's browser notification). */
  onDownloaded: ((name: string) => void) | undefined;

  constructor(transfers: TransfersState, notices: NoticesState, limitStore?: SpeedLimitStore) {
    this.#transfers = transfers;
    this.#notices = notices;
    this.#limitStore = limitStore;
  }

  /** Plugs in a transfer engine for the signed-in session (the one before, if any, is closed), with the user's kept limits. */
  attach(port: TransferPort, userId?: string): void {
    this.detach();
    this.#port = port;
    this.#userId = userId;
    if (userId !== undefined && this.#limitStore) port.setLimits(this.#limitStore.load(userId));
    this.#transfers.setAvailable(true);
    const refresh = () => this.#transfers.setDownloads(port.snapshot());
    this.#unsubscribe.push(
      port.onChange(refresh),
      port.onNotice((kind, text, fileId) => {
        const done = kind === 'success' && fileId !== undefined;
        this.#notices.push(kind, text, done ? { href: '/downloads', action: 'Downloads' } : undefined);
        const finished = done ? port.snapshot().find((d) => d.fileId === fileId && d.state === 'complete') : undefined;
        if (finished) this.onDownloaded?.(finished.name);
      }),
    );
    refresh();
  }

  detach(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#port?.close();
    this.#port = undefined;
    this.#userId = undefined;
    this.#transfers.reset();
  }

  /** The port, or a plain error while the engine is still starting. */
  require(): TransferPort {
    if (!this.#port) throw new Error('file transfer is still starting in this tab; try again in a moment');
    return this.#port;
  }

  /** Shares files into a group, one after another (hashing is CPU-bound: in parallel they would only share the core). */
  async share(groupId: string, files: (File | { file: File; handle: FileSystemFileHandle })[]): Promise<string[]> {
    const port = this.require();
    const shared: string[] = [];
    const items = files.map((f) => (f instanceof File ? { file: f, handle: undefined } : f));
    const keys = items.map(({ file: f }) => this.#transfers.startShare(groupId, f.name, f.size));
    const controllers = keys.map((key) => {
      const controller = new AbortController();
      this.#cancels.set(key, controller);
      return controller;
    });
    for (const [i, { file, handle }] of items.entries()) {
      const key = keys[i]!;
      const { signal } = controllers[i]!;
      try {
        // A share cancelled while it waited its turn is never started.
        signal.throwIfAborted();
        // A name the tracker would refuse is said at once, not after hashing the whole file.
        const tooLong = fileNameTooLong(file.name);
        if (tooLong) throw new InWords(ErrorCode.InvalidMessage, tooLong);
        await port.share(groupId, file, (phase, p) => this.#transfers.shareProgress(key, p, phase), handle, signal);
        this.#transfers.shareDone(key);
        shared.push(file.name);
      } catch (err) {
        if (signal.aborted) this.#transfers.shareCancelled(key);
        else {
          this.#transfers.shareFailed(key, describeError(err));
          if (files.length === 1) throw err;
        }
      } finally {
        this.#cancels.delete(key);
      }
    }
    return shared;
  }

  /** Shares several files as one batch entry: one row while it is checked and stored, one entry in the group. */
  async shareBatch(groupId: string, name: string, files: { file: File; path: string }[]): Promise<void> {
    const port = this.require();
    const key = this.#transfers.startShare(groupId, name, files.reduce((n, f) => n + f.file.size, 0), files.length);
    const controller = new AbortController();
    this.#cancels.set(key, controller);
    try {
      await port.shareBatch(groupId, name, files, (phase, p) => this.#transfers.shareProgress(key, p, phase), controller.signal);
      this.#transfers.shareDone(key);
    } catch (err) {
      if (controller.signal.aborted) this.#transfers.shareCancelled(key);
      else {
        this.#transfers.shareFailed(key, describeError(err));
        throw err;
      }
    } finally {
      this.#cancels.delete(key);
    }
  }

  /** Cancels a share still being checked or stored: nothing is registered and nothing kept. */
  cancelShare(key: number): void {
    this.#cancels.get(key)?.abort(new Error('the share was cancelled'));
  }

  async download(file: FileSummary, paths?: string[]): Promise<void> {
    const port = this.require();
    await port.download(file, paths);
    this.#transfers.setDownloads(port.snapshot());
  }

  async pause(fileId: string): Promise<void> {
    await this.require().pause(fileId);
  }
  async resume(fileId: string): Promise<void> {
    await this.require().resume(fileId);
  }
  async remove(fileId: string): Promise<void> {
    await this.require().remove(fileId);
  }
  /** Saves a complete download: to the browser's downloads, or ("Save as…") streamed to a file the user picks. */
  async save(fileId: string, method: 'download' | 'picker' = 'download'): Promise<void> {
    await this.require().save(fileId, method);
  }
  /** Save where I choose, as it arrives: pick a file now (or allow the one picked before a reload again). */
  async saveAsItArrives(fileId: string, again = false): Promise<void> {
    await this.require().saveAsItArrives(fileId, again);
  }
  /** Saves a complete batch whole into a picked folder, or one of its files. */
  async saveBatch(fileId: string, what: 'folder' | { path: string }): Promise<void> {
    await this.require().saveBatch(fileId, what);
  }
  get canPickFolder(): boolean {
    return this.#port?.canPickFolder ?? false;
  }
  get canPickSaveLocation(): boolean {
    return this.#port?.canPickSaveLocation ?? false;
  }
  /** Speed caps (0 = none), kept for this user in this browser across reloads and sign-ins. */
  setLimits(limits: SpeedLimits): void {
    this.require().setLimits(limits);
    if (this.#userId !== undefined) this.#limitStore?.save(this.#userId, limits);
  }
  get limits(): SpeedLimits {
    return this.#port?.limits ?? { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 };
  }
  async reattach(fileId: string): Promise<void> {
    await this.require().reattach(fileId);
  }

  /** show_downloads: what this tab downloaded, with each connected peer and its path. */
  downloads(): DownloadLine[] {
    // Read the engine now, not the last throttled render: a download started a moment ago is listed.
    if (this.#port) this.#transfers.setDownloads(this.#port.snapshot());
    return this.#transfers.downloads.map((d) => ({
      groupId: d.groupId,
      name: d.name,
      state: d.state,
      progress: d.wanted ? (d.wanted.size > 0 ? d.wanted.bytesDone / d.wanted.size : 1) : d.size > 0 ? d.bytesDone / d.size : 1,
      ...(d.wanted && d.files ? { part: { files: d.wanted.paths.length, of: d.files.length, done: d.wanted.done } } : {}),
      peers: d.peers.map((p) => (p.path ? { userId: p.userId, path: p.path } : { userId: p.userId })),
      ...(d.waiting ? { waiting: true } : {}),
    }));
  }
}
