/**
 * The command line's client: the runtime-neutral core (client/tracker.ts,
 * client/engine.ts) with the Node platform (cli/platform/), behind the same
 * ConsoleActions the web console drives (client/commands/run.ts). One-shot
 * mode, the shell and `meshdrop seed` all run commands through this.
 */
import { access, constants, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Bitfield } from '../protocol/bitfield.ts';
import { PIECE_SIZE } from '../protocol/constants.ts';
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import { fileIdOf } from '../protocol/files.ts';
import type { FileMeta, FileSummary, GroupSummary, MembershipStatus, SessionSummary } from '../protocol/tracker.ts';
import { TransferEngine, type DownloadInfo, type TransferLimits } from '../client/engine.ts';
import type { PieceStore, StoredFile } from '../client/ports.ts';
import { TrackerClient } from '../client/tracker.ts';
import { ConsoleError, type ConsoleActions, type DownloadLine, type InviteInfo } from '../client/commands/run.ts';
import { formatBytes } from '../client/commands/format.ts';
import { configDir, dataDir, loadSession, removeSession, saveSession } from './paths.ts';
import { FilePieceStore } from './platform/file-store.ts';
import { FileSource } from './platform/file-source.ts';
import { hashFile, nodeHasher } from './platform/hashing.ts';
import { NodePeerConnector, nodeSocketFactory } from './platform/net.ts';
import { Progress, type ProgressOutput } from './progress.ts';
import { downloadBatch, downloadBatchFile, shareFolder, type BatchHost } from './batch-commands.ts';
import { destinationOf } from './destination.ts';
import { wantedPieces } from '../client/wanted.ts';

export interface CliClientOptions {
  trackers: string[];
  env?: NodeJS.ProcessEnv;
  /** Where progress bars and notices go (stderr); undefined: silent (--json). */
  progress?: ProgressOutput | undefined;
  limits?: Partial<TransferLimits>;
  /**
   * 'wait': download_file returns once the file is complete (one-shot);
   * 'background': it returns once started (the shell, the seed).
   */
  downloads: 'wait' | 'background';
  /** Keep reconnecting instead of failing when no tracker answers (the seed). */
  keepTrying?: boolean;
  /** Diagnostics (MESHDROP_TRACE=pieces): one line per stored piece. */
  trace?: (line: string) => void;
}

export class CliClient implements ConsoleActions {
  readonly tracker: TrackerClient;
  readonly #o: CliClientOptions;
  readonly #env: NodeJS.ProcessEnv;
  #store: FilePieceStore | undefined;
  #engine: TransferEngine | undefined;
  /** One-shot: the engine sees only the file this command is about (a seed may own the others). */
  #only: Set<string> | undefined;
  /** The last structured answer, for --json. */
  lastData: unknown;

  constructor(options: CliClientOptions) {
    this.#o = options;
    this.#env = options.env ?? process.env;
    this.tracker = new TrackerClient({ urls: options.trackers, createSocket: nodeSocketFactory });
  }

  /** Connects, and resumes the saved session if there is one (an ended session is forgotten). */
  async open(): Promise<void> {
    await this.tracker.connect({ keepTrying: this.#o.keepTrying });
    // After the first connection, say when the tracker changes (failover), on the notice stream.
    this.tracker.on('status', ({ status, url }) => {
      if (status === 'reconnecting') this.#o.progress?.write('\nLost the tracker; trying the others.\n');
      else if (status === 'connected') this.#o.progress?.write(`Connected to ${url}.\n`);
    });
    const saved = await loadSession(this.#env);
    if (!saved) return;
    try {
      await this.tracker.resume(saved.token);
      await this.#saveSession();
    } catch (err) {
      const code = (err as MeshdropError).code;
      if (code === ErrorCode.InvalidSession || code === ErrorCode.NoSuchSession || code === ErrorCode.Unauthenticated) await removeSession(this.#env);
      else throw err;
    }
  }

  get userId(): string | undefined {
    return this.tracker.userId;
  }

  /** The engine, made on first use (a command that moves no bytes never starts WebRTC). */
  engine(): TransferEngine {
    if (!this.userId) throw new MeshdropError(ErrorCode.Unauthenticated, 'not signed in');
    if (this.#engine) return this.#engine;
    this.#store = new FilePieceStore(join(dataDir(this.userId, this.#env), 'files'));
    const store = this.#viewOf(this.#store);
    this.#engine = new TransferEngine({
      tracker: this.tracker,
      store,
      hasher: nodeHasher,
      connector: new NodePeerConnector(),
      limits: this.#o.limits,
      openSource: async (file) => {
        const path = await this.#store!.pathOf(file.fileId);
        if (!path) return undefined;
        await access(path, constants.R_OK);
        return new FileSource(path, file.meta.size);
      },
    });
    return this.#engine;
  }

  get store(): FilePieceStore {
    this.engine();
    return this.#store!;
  }

  /** One-shot mode: the engine resumes and serves only these files. */
  limitTo(fileIds: Iterable<string>): void {
    this.#only = new Set(fileIds);
  }

  async close(): Promise<void> {
    this.#engine?.close();
    await this.#store?.close();
    this.tracker.close();
  }

  // ------------------------------------------------------------ accounts

  async createUser(userId: string, password: string): Promise<void> {
    await this.tracker.request('create_user', { userId, password });
  }

  async login(userId: string, password: string): Promise<void> {
    await this.tracker.login(userId, password);
    await this.#saveSession();
  }

  /** Ends the session on the trackers, and forgets the token here even if the tracker cannot be told. */
  async logout(): Promise<void> {
    try {
      await this.tracker.logout();
    } finally {
      await removeSession(this.#env);
    }
  }

  async listSessions(): Promise<SessionSummary[]> {
    return (this.lastData = await this.tracker.listSessions());
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.tracker.revokeSession(sessionId);
  }

  async logoutAll(): Promise<void> {
    try {
      await this.tracker.logoutAll();
    } finally {
      await removeSession(this.#env);
    }
  }

  // ------------------------------------------------------------ groups

  async createGroup(groupId: string): Promise<void> {
    await this.tracker.request('create_group', { groupId });
  }

  async joinGroup(groupId: string, invite?: string): Promise<MembershipStatus> {
    const { status } = await this.tracker.request('join_group', invite ? { groupId, invite } : { groupId });
    this.lastData = { groupId, status };
    return status;
  }

  async leaveGroup(groupId: string): Promise<void> {
    await this.tracker.request('leave_group', { groupId });
  }

  async listGroups(): Promise<GroupSummary[]> {
    const { groups } = await this.tracker.request('list_groups', {});
    return (this.lastData = groups);
  }

  async listRequests(groupId: string): Promise<{ userId: string; requestedAt: number }[]> {
    const { requests } = await this.tracker.request('list_requests', { groupId });
    return (this.lastData = requests);
  }

  async acceptRequest(groupId: string, userId: string): Promise<void> {
    await this.tracker.request('accept_request', { groupId, userId });
  }

  async rejectRequest(groupId: string, userId: string): Promise<void> {
    await this.tracker.request('reject_request', { groupId, userId });
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.tracker.request('remove_member', { groupId, userId });
  }

  async listInvites(groupId: string): Promise<InviteInfo[]> {
    const { invites } = await this.tracker.request('list_invites', { groupId });
    return (this.lastData = invites);
  }

  async revokeInvite(groupId: string, inviteId: string): Promise<void> {
    await this.tracker.request('revoke_invite', { groupId, inviteId });
  }

  // ------------------------------------------------------------ files

  async listFiles(groupId: string): Promise<FileSummary[]> {
    const { files } = await this.tracker.request('list_files', { groupId });
    return (this.lastData = files);
  }

  async pickAndShare(): Promise<string[]> {
    throw new ConsoleError('upload_file needs a file: upload_file <file_path> <group>');
  }

  /** upload_file <file_path> <group>: hashes the file where it is (streamed), shares it, serves it from there. */
  async shareFile(path: string, groupId: string): Promise<string> {
    const abs = resolve(path);
    const info = await stat(abs).catch(() => undefined);
    if (!info) throw new ConsoleError(`No file at ${path}.`, 'local');
    if (info.isDirectory()) return shareFolder(this.#batchHost(), path, abs, groupId, [configDir(this.#env), dirname(dataDir('-', this.#env))]);
    if (!info.isFile()) throw new ConsoleError(`${path} is not a file or a folder.`, 'local');
    await access(abs, constants.R_OK).catch(() => {
      throw new ConsoleError(`${path} cannot be read (permission denied).`, 'local');
    });
    // Membership first: a refusal should not cost a 4 GiB hash.
    await this.tracker.request('list_files', { groupId });
    const name = basename(abs);
    const bar = new Progress(this.#o.progress, `Hashing ${name}`, info.size);
    let pieceHashes: string[];
    try {
      pieceHashes = await hashFile(abs, info.size, (done) => bar.update(Math.min(info.size, done * PIECE_SIZE)));
    } finally {
      bar.finish();
    }
    const meta: FileMeta = { groupId, name, size: info.size, pieceSize: PIECE_SIZE, pieceHashes };
    const fileId = fileIdOf(meta);
    this.#only?.add(fileId);
    const engine = this.engine();
    this.#store!.assignPath(fileId, abs, { original: true });
    await engine.share({ source: new FileSource(abs, info.size), name, size: info.size, groupId, keep: 'original', pieceHashes });
    this.lastData = { fileId, name, groupId, size: info.size, pieces: pieceHashes.length };
    return `Shared ${name} in ${groupId} (${pieceHashes.length.toLocaleString('en')} piece${pieceHashes.length === 1 ? '' : 's'}).`;
  }

  async download(file: FileSummary): Promise<void> {
    await this.downloadTo(file, join(dataDir(this.userId!, this.#env), 'downloads') + '/');
  }

  /** download_file <group> <file> <destination_path> [path_in_batch]. */
  async downloadTo(file: FileSummary, dest: string, path?: string): Promise<string> {
    if (path !== undefined) {
      if (file.fileCount === undefined) throw new ConsoleError(`${file.name} is a single file, not a batch: leave out ${JSON.stringify(path)} to download it.`, 'local');
      return downloadBatchFile(this.#batchHost(), file, dest, path);
    }
    if (file.fileCount !== undefined) return downloadBatch(this.#batchHost(), file, dest);
    const engine = this.engine();
    const store = this.#store!;
    const existing = await store.getFile(file.fileId);
    const target = existing ? ((await store.pathOf(file.fileId)) ?? (await destinationOf(file, dest))) : await destinationOf(file, dest);
    this.lastData = { fileId: file.fileId, name: file.name, groupId: file.groupId, size: file.size, path: target };
    if (existing?.state === 'complete') return `${file.name} is already here: ${target}.`;
    this.#only?.add(file.fileId);
    // An existing download's pieces written after its record's last save are found when the engine starts (recover-stored.ts).
    if (!existing) store.assignPath(file.fileId, target, { original: false });
    await engine.download(file.fileId);
    if (this.#o.downloads === 'background') return `Downloading ${file.name} (${formatBytes(file.size)}) to ${target}. show_downloads follows it.`;
    await this.#untilDownloaded(file);
    return `Downloaded ${file.name} (${formatBytes(file.size)}) to ${target}.`;
  }

  /**
   * Shows a download's progress until every piece is verified and stored;
   * `part`: of a batch fetched in part, until that file's pieces are.
   */
  async #untilDownloaded(file: FileSummary, part?: { label: string; size: number }): Promise<void> {
    const engine = this.engine();
    if (file.holdersOnline === 0) this.#o.progress?.write(`Nobody holding ${file.name} is online right now; waiting for a holder.\n`);
    const bar = new Progress(this.#o.progress, part?.label ?? file.name, part?.size ?? file.size);
    const off = engine.on('changed', ({ fileId }) => {
      const d = fileId === file.fileId ? engine.info(fileId) : undefined;
      if (d) bar.update(part ? (d.wanted?.bytesDone ?? d.bytesDone) : d.bytesDone, `${d.peers.length} peer${d.peers.length === 1 ? '' : 's'}`);
    });
    // The engine paused it (a piece could not be stored: a full disk): say why, rather than wait for ever.
    let offStopped = () => {};
    const stopped = new Promise<never>((_, reject) => {
      offStopped = engine.on('stopped', ({ fileId, reason }) => fileId === file.fileId && reject(new ConsoleError(reason, 'local')));
    });
    stopped.catch(() => undefined); // raced below; never an unhandled rejection once the race is over
    try {
      // Part of a batch: its pieces are written (putPiece resolves first); the record stays 'downloading', so settled() would wait for ever.
      if (part) await Promise.race([engine.whenWanted(file.fileId), stopped]);
      else {
        await Promise.race([engine.whenComplete(file.fileId), stopped]);
        await this.#store!.settled(file.fileId);
      }
    } finally {
      off();
      offStopped();
      bar.finish();
    }
  }

  async stopShare(file: FileSummary): Promise<void> {
    await this.tracker.request('stop_share', { fileId: file.fileId });
    if (this.#engine) await this.#engine.remove(file.fileId);
    else if (this.userId) {
      const store = new FilePieceStore(join(dataDir(this.userId, this.#env), 'files'));
      await store.deleteFile(file.fileId);
      await store.close();
    }
  }

  downloads(): DownloadLine[] {
    return this.#engine ? this.#engine.downloads().map(lineOf) : [];
  }

  /** show_downloads without a running engine (one-shot): what this machine's records say. */
  async storedDownloads(): Promise<DownloadLine[]> {
    if (this.#engine || !this.userId) return this.downloads();
    const store = new FilePieceStore(join(dataDir(this.userId, this.#env), 'files'));
    try {
      return (await store.listFiles()).sort((a, b) => a.addedAt - b.addedAt).map(storedLine);
    } finally {
      await store.close();
    }
  }

  // ------------------------------------------------------------ internals

  /** What the batch commands (cli/batch-commands.ts) use of this client. */
  #batchHost(): BatchHost {
    return {
      tracker: this.tracker,
      progress: this.#o.progress,
      engine: () => this.engine(),
      store: this.store,
      include: (fileId) => this.#only?.add(fileId),
      setData: (data) => (this.lastData = data),
      untilDownloaded: (file, part) => this.#untilDownloaded(file, part),
    };
  }

  async #saveSession(): Promise<void> {
    const token = this.tracker.token;
    if (!token || !this.userId) return;
    await saveSession({ trackers: [...new Set([...this.#o.trackers, ...this.tracker.knownTrackers])], userId: this.userId, token }, this.#env);
  }

  /** The store as the engine sees it: in one-shot mode, only this command's files. */
  #viewOf(store: FilePieceStore): PieceStore {
    const only = () => this.#only;
    return {
      listFiles: async () => (await store.listFiles()).filter((f) => !only() || only()!.has(f.fileId)),
      getFile: (id) => store.getFile(id),
      putFile: (f) => store.putFile(f),
      putPiece: async (id, i, data) => {
        await store.putPiece(id, i, data);
        this.#o.trace?.(`stored piece ${i} of ${id}`);
      },
      getPiece: (id, i) => store.getPiece(id, i),
      // Offered, so the engine saves progress at most once a second and recovers what a kill -9 left unsaved.
      storedPieces: (id, count) => store.storedPieces(id, count),
      deleteFile: (id) => store.deleteFile(id),
    };
  }
}

function lineOf(d: DownloadInfo): DownloadLine {
  return {
    groupId: d.groupId,
    name: d.name,
    state: d.state,
    progress: d.progress,
    peers: d.peers.map((p) => ({ userId: p.userId, ...(p.path ? { path: p.path } : {}) })),
    ...(d.waiting ? { waiting: true } : {}),
    ...(d.wanted && d.files ? { part: { files: d.wanted.paths.length, of: d.files.length, done: d.wanted.done } } : {}),
  };
}

function storedLine(f: StoredFile): DownloadLine {
  const have = new Bitfield(f.meta.pieceHashes.length, f.have);
  // Of a batch fetched in part, the progress of the files asked for (by pieces).
  const wanted = wantedPieces(f.meta, f.wanted);
  if (wanted) {
    let held = 0;
    for (let i = 0; i < wanted.length; i++) if (wanted.has(i) && have.has(i)) held++;
    const part = { files: f.wanted!.length, of: f.meta.files!.length, done: held === wanted.count() };
    return { groupId: f.meta.groupId, name: f.meta.name, state: f.state, progress: held / Math.max(1, wanted.count()), part };
  }
  return { groupId: f.meta.groupId, name: f.meta.name, state: f.state, progress: have.count() / Math.max(1, have.length) };
}
