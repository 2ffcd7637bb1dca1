/**
 * What the screens show of transfers: files being shared (each phase's
 * progress: checking, then storing a copy) and the downloads list (show_downloads). The
 * bytes themselves move in the transfer engine (client/engine.ts); this
 * class holds the snapshot the UI renders, refreshed from the engine.
 */

export type PieceMark = 'done' | 'inflight' | 'missing';

export interface PeerView {
  peerId: string;
  userId: string;
  /** Bytes per second received from this peer now. */
  speed: number;
  /** Bytes received from this peer so far. */
  bytes: number;
  /** Direct or through a relay (TURN), once the browser has said; undefined until then. */
  path?: 'direct' | 'relayed';
}

export interface DownloadView {
  fileId: string;
  groupId: string;
  name: string;
  size: number;
  state: 'downloading' | 'paused' | 'complete';
  /** Shared from this tab (not downloaded). */
  shared: boolean;
  /** A shared original that must be allowed again after a reload before it can be served. */
  needsSource: boolean;
  /** Verified bytes held. */
  bytesDone: number;
  /** Bytes per second, all peers together. */
  speed: number;
  peers: PeerView[];
  /** Holders we tried and could not connect to, each with the reason in plain words. */
  unreachable: { userId: string; reason: string }[];
  /** Downloading, but nobody online has the rest: resumes by itself when a holder returns. */
  waiting?: boolean;
  /** Users connected to this tab still fetching pieces of this file from it (a file held whole). */
  servingTo?: string[];
  /** One mark per piece: the piece map. */
  pieces: PieceMark[];
  /** A batch's files (path, size), in piece-space order; absent for a single file. */
  files?: { path: string; size: number }[];
  /** A batch fetched in part: the files asked for, their bytes held, and whether all of them are here (client/engine-types.ts). */
  wanted?: { paths: string[]; size: number; bytesDone: number; done: boolean };
  /** Being saved as it arrives into a file the user picked (web/src/platform/stream-save.ts). */
  saveTo?: { name: string; status: 'writing' | 'needs-permission' | 'saved' | 'failed'; written: number; error?: string };
}

export type SharePhase = 'checking' | 'storing';

export interface ShareProgress {
  /** Unique per pick, so two files of the same name are told apart. */
  key: number;
  groupId: string;
  name: string;
  size: number;
  /** Which step a share in progress is at: 'checking' (hashing its pieces), then 'storing' (a copy for seeding after a reload). */
  phase: SharePhase;
  /** 0..1 of the current phase. */
  progress: number;
  state: 'hashing' | 'shared' | 'failed' | 'cancelled';
  error?: string;
  /** A batch (a folder, many files as one entry): how many files. */
  fileCount?: number;
}

export class TransfersState {
  #downloads = $state<DownloadView[]>([]);
  #shares = $state<ShareProgress[]>([]);
  #available = $state(false);
  #nextKey = 1;

  /** False until the transfer engine is running in this tab. */
  get available(): boolean {
    return this.#available;
  }
  /** What this tab downloaded (show_downloads): shared files are not downloads. */
  get downloads(): readonly DownloadView[] {
    return this.#downloads.filter((d) => !d.shared);
  }
  /** Everything held, shared files included. */
  get held(): readonly DownloadView[] {
    return this.#downloads;
  }
  get shares(): readonly ShareProgress[] {
    return this.#shares;
  }
  /** What this tab holds of a file, shared or downloaded. */
  download(fileId: string): DownloadView | undefined {
    return this.#downloads.find((d) => d.fileId === fileId);
  }
  sharesIn(groupId: string): ShareProgress[] {
    return this.#shares.filter((s) => s.groupId === groupId);
  }

  setAvailable(available: boolean): void {
    this.#available = available;
  }

  setDownloads(downloads: DownloadView[]): void {
    // Downloading first, then complete; newest names stable within each.
    this.#downloads = [...downloads].sort((a, b) => Number(a.state === 'complete') - Number(b.state === 'complete') || a.name.localeCompare(b.name));
  }

  startShare(groupId: string, name: string, size: number, fileCount?: number): number {
    const key = this.#nextKey++;
    this.#shares = [...this.#shares, { key, groupId, name, size, phase: 'checking', progress: 0, state: 'hashing', ...(fileCount ? { fileCount } : {}) }];
    return key;
  }
  /** Progress of a share's current phase (or of `phase`, which it moves to). */
  shareProgress(key: number, progress: number, phase?: SharePhase): void {
    this.#update(key, { ...(phase ? { phase } : {}), progress: Math.min(1, Math.max(0, progress)) });
  }
  shareDone(key: number): void {
    this.#update(key, { progress: 1, state: 'shared' });
  }
  shareFailed(key: number, error: string): void {
    this.#update(key, { state: 'failed', error });
  }
  shareCancelled(key: number): void {
    this.#update(key, { state: 'cancelled' });
  }
  dismissShare(key: number): void {
    this.#shares = this.#shares.filter((s) => s.key !== key);
  }

  #update(key: number, patch: Partial<ShareProgress>): void {
    this.#shares = this.#shares.map((s) => (s.key === key ? { ...s, ...patch } : s));
  }

  reset(): void {
    this.#downloads = [];
    this.#shares = [];
    this.#available = false;
  }
}
