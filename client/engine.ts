/**
 * The transfer engine: the client core the UI, the `show_downloads` command
 * and the tests drive. Runtime-neutral: the platform hands in the ports.
 *
 * Why one file of about 400 lines: the public surface and each file's
 * lifecycle (start, share, download, pause, resume, remove, close) act on one
 * map of entries under one set of rules; split, each half would need the
 * other's private state. Its types live in engine-types.ts and a file's
 * record and view (DownloadInfo) in file-entry.ts.
 *
 * ## API (stable; the browser platform and the UI build against it)
 *
 * ```ts
 * const engine = new TransferEngine({ tracker, store, hasher, connector, openSource?, limits?, random?, now? });
 * await tracker.connect(); await tracker.login(...);   // the engine needs a logged-in TrackerClient
 * await engine.start();          // resumes what the PieceStore holds: seeds complete files, continues downloads
 *
 * // share: the platform hashed every piece (its worker, or the disk); registers the metadata, stores the record, announces, seeds
 * const { fileId, meta } = await engine.share({ source, name, size, groupId, keep: 'original' | 'store', pieceHashes });
 * // download: get_file, get_holders (and watch holders_changed), connect, fetch, verify, store, seed
 * await engine.download(fileId);              // resolves once started; the transfer runs on
 * await engine.download(fileId, { paths });   // a batch: only these files' pieces; asked again (or without paths), it widens
 * await engine.whenComplete(fileId);          // resolves when every piece is verified and stored
 * await engine.whenWanted(fileId);            // resolves when every piece of the files asked for is
 * await engine.pause(fileId); await engine.resume(fileId); await engine.remove(fileId);  // remove deletes stored pieces
 * engine.attachSource(fileId, source);        // re-attach a shared file's original after a reload (permission given)
 * engine.readPiece(fileId, index);            // a verified piece's bytes (saving; the platform may also read its store)
 * engine.downloads();                         // DownloadInfo[]: the UI's and show_downloads' view
 * engine.download(fileId) / engine.info(fileId);
 * engine.setLimits({ uploadBytesPerSecond, downloadBytesPerSecond, maxPeersPerFile });  // 0 or Infinity = no cap
 * engine.on('changed', ({ fileId }) => rerender());   // any state, progress, peer or piece change (throttled)
 * engine.on('complete' | 'piece_failed' | 'peer_dropped' | 'peer_closed' | 'stopped' | 'error', ...);
 * engine.close();                              // stops every swarm, timer, listener and channel
 * ```
 *
 * ## Behaviour
 *
 * - One Swarm per file (client/swarm.ts) holds that file's peer links; what
 *   the engine keeps per file, and the DownloadInfo made of it, is in
 *   client/file-entry.ts; the public types in client/engine-types.ts.
 * - Every verified piece is stored, sent to connected peers (have frame) and
 *   to the tracker (batched `have`) at once, and marked in the record's
 *   bitfield: at once, or at most once a second where the store can list
 *   what it holds (PROGRESS_SAVE_INTERVAL_MS).
 * - A reload resumes from the PieceStore record: pieces in its bitfield,
 *   and pieces the store holds beyond it that check out against their
 *   hashes (client/recover-stored.ts), are never fetched again.
 * - Tracker failover: peer channels do not depend on the tracker, so
 *   transfers continue; on the TrackerClient's 'ready' the TrackerClient
 *   re-announces and each swarm asks for holders again.
 */
import { Bitfield } from '../protocol/bitfield.ts';
import { MAX_PEERS_PER_FILE, PIECE_SIZE } from '../protocol/constants.ts';
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import { fileIdOf, pieceCountOf } from '../protocol/files.ts';
import { asInstanceId, type InstanceId } from '../protocol/ids.ts';
import type { FileMeta, TrackerEvent } from '../protocol/tracker.ts';
import { bytesToHex } from '../protocol/wire.ts';
import { fileNameTooLong } from './commands/format.ts';
import { InWords } from './commands/errors.ts';
import { Emitter } from './emitter.ts';
import type { DownloadInfo, EngineEvents, EngineOptions, ShareInput, TransferLimits } from './engine-types.ts';
import { createEntry, infoOf, readExact, saveEntry, type Entry } from './file-entry.ts';
import { recoverStored } from './recover-stored.ts';
import type { Hasher, PeerConnector, PieceSource, PieceStore, StoredFile, SwarmTracker } from './ports.ts';
import { TokenBucket } from './rate.ts';
import { UploadTurns } from './upload-turns.ts';
import { Swarm, type SwarmLimits } from './swarm.ts';
import type { TrackerClient } from './tracker.ts';
import { swarmEventOf, swarmTrackerOf } from './tracker-port.ts';
import { covers, unknownPaths, wantedPieces, widen } from './wanted.ts';

export type { PeerInfo } from './swarm.ts';
export type { DownloadInfo, EngineEvents, EngineOptions, PieceStatus, ShareInput, TransferLimits } from './engine-types.ts';

/** How often 'changed' fires per file at most while bytes flow: smooth enough for a progress bar, cheap for the UI to re-render a 16k-piece map each time (the one throttle between the swarm and the screen). */
const CHANGED_THROTTLE_MS = 250;
/**
 * How often a download's progress is written to its record at most, where
 * the store can list the pieces it holds (PieceStore.storedPieces): each
 * write rewrites the whole record, piece hashes and all (5 KiB at 128
 * pieces, about 400 KiB at 8,192), and a write per piece cost the
 * downloading browser's IndexedDB about 1.4 CPU-ms per MB. What a crash
 * leaves unwritten, recoverStored finds in the store at the next start.
 */
const PROGRESS_SAVE_INTERVAL_MS = 1000;

export class TransferEngine extends Emitter<EngineEvents> {
  readonly #tracker: TrackerClient;
  /** The same connection, as the swarms see it (client/ports.ts SwarmTracker). */
  readonly #swarmTracker: SwarmTracker;
  readonly #store: PieceStore;
  readonly #hasher: Hasher;
  readonly #connector: PeerConnector;
  readonly #openSource: EngineOptions['openSource'];
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #limits: SwarmLimits;
  /** Random per engine instance: names us in peer handshakes across tracker reconnections. */
  readonly #instanceId: InstanceId;
  #files = new Map<string, Entry>();
  #unsubscribe: (() => void)[] = [];
  #closed = false;
  #started: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    super();
    this.#tracker = options.tracker;
    this.#swarmTracker = swarmTrackerOf(options.tracker);
    this.#store = options.store;
    this.#hasher = options.hasher;
    this.#connector = options.connector;
    this.#openSource = options.openSource;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    const limits = options.limits ?? {};
    const upload = new TokenBucket(limits.uploadBytesPerSecond ?? Infinity, this.#now);
    this.#limits = {
      upload,
      uploadTurns: new UploadTurns(upload),
      download: new TokenBucket(limits.downloadBytesPerSecond ?? Infinity, this.#now),
      maxPeersPerFile: limits.maxPeersPerFile || undefined,
    };
    const id = new Uint8Array(16);
    for (let i = 0; i < id.length; i++) id[i] = Math.floor(this.#random() * 256);
    this.#instanceId = asInstanceId(bytesToHex(id));

    this.#unsubscribe.push(
      this.#tracker.on('event', (e) => this.#onTrackerEvent(e)),
      this.#tracker.on('ready', () => {
        // Our presence id changed and the tracker forgot our watches: ask again.
        for (const entry of this.#files.values()) entry.swarm?.refreshHolders();
      }),
    );
  }

  get limits(): TransferLimits {
    return {
      uploadBytesPerSecond: this.#limits.upload.rate,
      downloadBytesPerSecond: this.#limits.download.rate,
      maxPeersPerFile: this.#limits.maxPeersPerFile ?? MAX_PEERS_PER_FILE,
    };
  }

  setLimits(limits: Partial<TransferLimits>): void {
    if (limits.uploadBytesPerSecond !== undefined) {
      this.#limits.upload.setRate(limits.uploadBytesPerSecond);
      this.#limits.uploadTurns.poke();
    }
    if (limits.downloadBytesPerSecond !== undefined) this.#limits.download.setRate(limits.downloadBytesPerSecond);
    if (limits.maxPeersPerFile !== undefined) this.#limits.maxPeersPerFile = limits.maxPeersPerFile || undefined;
    for (const entry of this.#files.values()) entry.swarm?.poke();
  }

  /** Resumes everything the store holds. Safe to call more than once. */
  start(): Promise<void> {
    this.#started ??= this.#startOnce();
    return this.#started;
  }

  async #startOnce(): Promise<void> {
    for (const record of await this.#store.listFiles()) {
      if (this.#closed || this.#files.has(record.fileId)) continue;
      const entry = this.#addEntry(record);
      if (record.source === 'store' && record.state !== 'complete') await this.#recover(entry);
      if (this.#closed) return;
      if (record.source === 'original') {
        entry.source = await this.#openSource?.(record).catch(() => undefined);
        if (!entry.source) continue; // waits for attachSource()
      }
      if (record.state !== 'paused') await this.#run(entry);
    }
  }

  // ---------------------------------------------------------- share

  async share(input: ShareInput): Promise<{ fileId: string; meta: FileMeta }> {
    this.#checkOpen();
    const total = pieceCountOf(input.size, PIECE_SIZE);
    const pieceHashes = input.pieceHashes;
    if (pieceHashes.length !== total) {
      throw new MeshdropError(ErrorCode.InvalidMessage, `a file of ${input.size} bytes has ${total} pieces, not ${pieceHashes.length}`);
    }
    const tooLong = fileNameTooLong(input.name);
    if (tooLong) throw new InWords(ErrorCode.InvalidMessage, tooLong);
    const meta: FileMeta = { groupId: input.groupId, name: input.name, size: input.size, pieceSize: PIECE_SIZE, pieceHashes };
    // A batch: its files laid over the one piece space (protocol/batch.ts); the tracker checks the list.
    if (input.files) meta.files = input.files.map((f) => ({ path: f.path, size: f.size }));
    const fileId = fileIdOf(meta);
    if (input.keep === 'store') {
      // The id is known only once every piece is hashed, so the copy is a second pass over the source.
      try {
        for (let i = 0; i < total; i++) {
          input.signal?.throwIfAborted();
          await this.#store.putPiece(fileId, i, await readExact(input, i));
          input.onStored?.(i + 1, total);
        }
        input.signal?.throwIfAborted();
      } catch (err) {
        // A cancelled (or failed) copy leaves nothing behind, unless the same bytes are already held.
        if (!this.#files.has(fileId)) await this.#store.deleteFile(fileId);
        throw err;
      }
    } else input.signal?.throwIfAborted();
    await this.#tracker.request('upload_file', { fileId, meta });
    const existing = this.#files.get(fileId);
    if (existing) {
      // The same bytes shared again: seed from the new source if we lacked one.
      existing.source ??= input.keep === 'original' ? input.source : undefined;
      return { fileId, meta };
    }
    const record: StoredFile = {
      fileId,
      meta,
      have: Bitfield.full(total).bytes,
      state: 'complete',
      source: input.keep === 'original' ? 'original' : 'store',
      origin: 'shared',
      addedAt: this.#now(),
    };
    await this.#store.putFile(record);
    const entry = this.#addEntry(record);
    entry.source = input.keep === 'original' ? input.source : undefined;
    await this.#run(entry);
    return { fileId, meta };
  }

  // ---------------------------------------------------------- download

  /**
   * Starts (or resumes) downloading a file of one of my groups. Resolves once
   * started. `paths`: of a batch, only these files (the pieces covering
   * them, client/wanted.ts); asked again for more, or without paths, the
   * set widens and what is held stays.
   */
  async download(fileId: string, options: { paths?: string[] } = {}): Promise<void> {
    this.#checkOpen();
    await this.start();
    const existing = this.#files.get(fileId);
    if (existing) {
      checkPaths(existing.record.meta, options.paths);
      await this.#widen(existing, options.paths);
      if (existing.record.state === 'paused') await this.resume(fileId);
      return;
    }
    const { file } = await this.#tracker.request('get_file', { fileId });
    // Trust, but verify: the piece hashes we check against must be the ones the id names.
    if (fileIdOf(file.meta) !== fileId) throw new MeshdropError(ErrorCode.BadFileId, 'the tracker sent metadata that does not match the file id');
    checkPaths(file.meta, options.paths);
    if (this.#files.has(fileId)) return this.download(fileId, options);
    const pieces = file.meta.pieceHashes.length;
    const wanted = widen(file.meta.files, options.paths, options.paths);
    const record: StoredFile = {
      fileId,
      meta: file.meta,
      have: new Bitfield(pieces).bytes,
      // An empty file has no pieces to fetch: complete the moment it is added.
      state: pieces === 0 ? 'complete' : 'downloading',
      source: 'store',
      origin: 'downloaded',
      addedAt: this.#now(),
      ...(wanted ? { wanted } : {}),
    };
    await this.#store.putFile(record);
    await this.#run(this.#addEntry(record));
  }

  /** Asks for more of a batch fetched in part (`paths` undefined: all of it); the record and the swarm follow. */
  async #widen(entry: Entry, paths: string[] | undefined): Promise<void> {
    const current = entry.record.wanted;
    if (!current) return; // already the whole entry
    const next = widen(entry.record.meta.files, current, paths);
    if (next && next.length === current.length) return;
    if (next) entry.record.wanted = next;
    else delete entry.record.wanted;
    entry.wanted = wantedPieces(entry.record.meta, next);
    await this.#save(entry);
    entry.swarm?.want(entry.wanted);
    this.#changed(entry, true);
  }

  /** Resolves when every piece of the files asked for is verified (the whole file without a list; at once if so). */
  whenWanted(fileId: string): Promise<void> {
    const entry = this.#files.get(fileId);
    if (!entry) return Promise.reject(new MeshdropError(ErrorCode.NoSuchFile, `not downloading ${fileId}`));
    if (covers(entry.have, entry.wanted)) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.on('verified', (e) => {
        if (e.fileId === fileId && covers(entry.have, entry.wanted)) {
          off();
          resolve();
        }
      });
    });
  }

  /** Resolves when the file is complete (at once if it is). Rejects if it is removed or the engine closes. */
  whenComplete(fileId: string): Promise<void> {
    const entry = this.#files.get(fileId);
    if (!entry) return Promise.reject(new MeshdropError(ErrorCode.NoSuchFile, `not downloading ${fileId}`));
    return entry.completion.promise;
  }

  async pause(fileId: string): Promise<void> {
    const entry = this.#entry(fileId);
    if (entry.record.state === 'paused') return;
    entry.record.state = 'paused';
    this.#cancelProgressSave(entry);
    this.#stopSwarm(entry);
    await this.#tracker.unannounce(fileId).catch(() => undefined);
    await this.#save(entry);
    this.#changed(entry, true);
  }

  async resume(fileId: string): Promise<void> {
    const entry = this.#entry(fileId);
    if (entry.record.state !== 'paused') return;
    if (entry.record.source === 'original' && !entry.source) {
      throw new MeshdropError(ErrorCode.InvalidMessage, 'the original file must be attached again first (attachSource)');
    }
    entry.record.state = entry.have.isComplete() ? 'complete' : 'downloading';
    await this.#save(entry);
    await this.#run(entry);
  }

  /** Stops sharing/downloading this file here and deletes its stored pieces. */
  async remove(fileId: string): Promise<void> {
    const entry = this.#files.get(fileId);
    if (entry) {
      this.#stopSwarm(entry);
      if (entry.changedTimer) clearTimeout(entry.changedTimer);
      this.#cancelProgressSave(entry);
      this.#files.delete(fileId);
      entry.completion.promise.catch(() => undefined);
      await entry.saving?.catch(() => undefined);
      await this.#tracker.unannounce(fileId).catch(() => undefined);
    }
    await this.#store.deleteFile(fileId);
    this.emit('changed', { fileId });
  }

  /** Gives a shared file its original again (after a reload, once permission is granted) and seeds it. */
  async attachSource(fileId: string, source: PieceSource): Promise<void> {
    const entry = this.#entry(fileId);
    entry.source = source;
    if (entry.record.state !== 'paused') await this.#run(entry);
    else this.#changed(entry, true);
  }

  /** A verified piece's bytes, from the store or the shared original. */
  async readPiece(fileId: string, index: number): Promise<Uint8Array> {
    const entry = this.#entry(fileId);
    if (!entry.have.has(index)) throw new MeshdropError(ErrorCode.InvalidMessage, `piece ${index} is not held`);
    const data = entry.source ? await entry.source.readPiece(index) : await this.#store.getPiece(fileId, index);
    if (!data) throw new MeshdropError(ErrorCode.Internal, `piece ${index} is missing from the store`);
    return data;
  }

  /**
   * A preview's player needs pieces [first, last] next: the swarm starts them
   * first, in order (undefined: back to the usual policy). Kept across a
   * pause, so a resumed swarm still prefers them.
   */
  prioritise(fileId: string, window: { first: number; last: number } | undefined): void {
    const entry = this.#entry(fileId);
    entry.priority = window;
    entry.swarm?.prioritise(window);
  }

  /** Is this verified piece held (stored, or in the shared original)? */
  hasPiece(fileId: string, index: number): boolean {
    return this.#files.get(fileId)?.have.has(index) ?? false;
  }

  // ---------------------------------------------------------- state for the UI

  downloads(): DownloadInfo[] {
    return [...this.#files.values()].sort((a, b) => a.record.addedAt - b.record.addedAt).map((e) => infoOf(e));
  }

  info(fileId: string): DownloadInfo | undefined {
    const entry = this.#files.get(fileId);
    return entry && infoOf(entry);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    for (const entry of this.#files.values()) {
      this.#stopSwarm(entry);
      if (entry.changedTimer) clearTimeout(entry.changedTimer);
      // Progress not yet written goes now (best effort: a crash instead is what recoverStored is for).
      if (this.#cancelProgressSave(entry)) void this.#save(entry);
      entry.completion.promise.catch(() => undefined);
    }
    this.removeAll();
  }

  // ---------------------------------------------------------- internals

  #checkOpen(): void {
    if (this.#closed) throw new MeshdropError(ErrorCode.Disconnected, 'the transfer engine is closed');
  }

  #entry(fileId: string): Entry {
    const entry = this.#files.get(fileId);
    if (!entry) throw new MeshdropError(ErrorCode.NoSuchFile, `no such file here: ${fileId}`);
    return entry;
  }

  #addEntry(record: StoredFile): Entry {
    const entry = createEntry(record);
    this.#files.set(record.fileId, entry);
    this.#changed(entry, true);
    return entry;
  }

  /** Starts the file's swarm: announce, and fetch if incomplete. */
  async #run(entry: Entry): Promise<void> {
    if (this.#closed || entry.swarm) return;
    const { fileId, meta } = entry.record;
    const swarm = new Swarm({
      fileId,
      meta,
      have: entry.have,
      instanceId: this.#instanceId,
      tracker: this.#swarmTracker,
      connector: this.#connector,
      hasher: this.#hasher,
      store: this.#store,
      source: entry.source,
      limits: this.#limits,
      random: this.#random,
      now: this.#now,
      wanted: entry.wanted,
    });
    entry.swarm = swarm;
    if (entry.priority) swarm.prioritise(entry.priority);
    swarm.on('verified', ({ piece }) => {
      entry.record.have = entry.have.bytes;
      this.#saveProgress(entry);
      this.#changed(entry, false);
      this.emit('verified', { fileId, piece });
    });
    swarm.on('complete', () => {
      this.#cancelProgressSave(entry);
      entry.record.state = 'complete';
      void this.#save(entry);
      entry.completion.resolve();
      this.#changed(entry, true);
      this.emit('complete', { fileId });
    });
    swarm.on('satisfied', () => {
      this.#changed(entry, true);
      this.emit('satisfied', { fileId });
    });
    swarm.on('changed', () => this.#changed(entry, false));
    swarm.on('piece_failed', (e) => this.emit('piece_failed', { fileId, ...e }));
    swarm.on('peer_dropped', (e) => {
      this.emit('peer_dropped', { fileId, ...e });
      this.#changed(entry, true);
    });
    swarm.on('peer_closed', (e) => this.emit('peer_closed', { fileId, ...e }));
    swarm.on('store_failed', ({ message }) => void this.#pauseUnstorable(entry, message));
    swarm.on('error', (e) => this.emit('error', { fileId, ...e }));
    try {
      await swarm.start();
    } catch (err) {
      this.emit('error', { fileId, message: (err as Error).message, code: (err as MeshdropError).code });
    }
    this.#changed(entry, true);
  }

  /**
   * A piece that cannot be stored would be fetched again at the channel's
   * speed and fail again until space frees: pause the download once, and say
   * so. Nothing stored is lost; resume tries again.
   */
  async #pauseUnstorable(entry: Entry, message: string): Promise<void> {
    const { fileId } = entry.record;
    // pause() marks the record paused before it awaits anything: the failures behind this one stop here.
    if (entry.record.state === 'paused' || this.#files.get(fileId) !== entry) return;
    const paused = this.pause(fileId);
    this.emit('stopped', { fileId, reason: `Paused ${entry.record.meta.name}: a piece could not be stored (${message}). Free some space, then resume.` });
    await paused.catch((err: Error) => this.emit('error', { fileId, message: `pausing failed: ${err.message}` }));
  }

  #stopSwarm(entry: Entry): void {
    entry.swarm?.close();
    entry.swarm = undefined;
  }

  /** A verified piece's mark in the record: written at once, or within PROGRESS_SAVE_INTERVAL_MS where the store can list what it holds. */
  #saveProgress(entry: Entry): void {
    if (!this.#store.storedPieces) {
      void this.#save(entry);
      return;
    }
    entry.progressTimer ??= setTimeout(() => {
      entry.progressTimer = undefined;
      if (this.#files.get(entry.record.fileId) === entry) void this.#save(entry);
    }, PROGRESS_SAVE_INTERVAL_MS);
  }

  /** Drops a pending progress write (the caller writes the record itself, or it is going); true if one was pending. */
  #cancelProgressSave(entry: Entry): boolean {
    if (!entry.progressTimer) return false;
    clearTimeout(entry.progressTimer);
    entry.progressTimer = undefined;
    return true;
  }

  /** At start: pieces the store holds beyond the record's bitfield (written after its last save) count once they check out. */
  async #recover(entry: Entry): Promise<void> {
    const { fileId, meta } = entry.record;
    const pieces = await recoverStored(this.#store, this.#hasher, fileId, meta, entry.have);
    if (pieces === 0) return;
    this.emit('recovered', { fileId, pieces });
    if (entry.have.isComplete()) {
      if (entry.record.state === 'downloading') entry.record.state = 'complete';
      entry.completion.resolve();
    }
    await this.#save(entry);
  }

  /** Writes the record; concurrent calls coalesce into one write after the current one. */
  #save(entry: Entry): Promise<void> {
    return saveEntry(entry, this.#store, () => this.#files.get(entry.record.fileId) === entry, (message) =>
      this.emit('error', { fileId: entry.record.fileId, message }),
    );
  }

  /** Emits 'changed' now (state changes) or at most every CHANGED_THROTTLE_MS (byte counts). */
  #changed(entry: Entry, now: boolean): void {
    const fileId = entry.record.fileId;
    if (now) {
      if (entry.changedTimer) clearTimeout(entry.changedTimer);
      entry.changedTimer = undefined;
      this.emit('changed', { fileId });
      return;
    }
    entry.changedTimer ??= setTimeout(() => {
      entry.changedTimer = undefined;
      if (!this.#closed) this.emit('changed', { fileId });
    }, CHANGED_THROTTLE_MS);
  }

  #onTrackerEvent(e: TrackerEvent): void {
    const forSwarm = swarmEventOf(e);
    if (forSwarm) this.#files.get(forSwarm.fileId)?.swarm?.onTrackerEvent(forSwarm);
    if (e.event === 'members_changed') void this.#checkMembers(e.groupId);
  }

  /**
   * Someone joined, left or was removed: the swarms of that group's files hang
   * up on peers who are no longer members (or on everyone, if we are out).
   * Rare, so one list_members per event is fine.
   */
  async #checkMembers(groupId: string): Promise<void> {
    const swarms = [...this.#files.values()].filter((e) => e.record.meta.groupId === groupId && e.swarm).map((e) => e.swarm!);
    if (swarms.length === 0) return;
    let members: Set<string>;
    try {
      members = new Set((await this.#tracker.request('list_members', { groupId })).members.map((m) => m.userId));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== ErrorCode.NotMember && code !== ErrorCode.NoSuchGroup) return; // unknown: keep what is open
      members = new Set();
    }
    if (this.#closed) return;
    for (const swarm of swarms) swarm.dropPeersOutside(members);
  }
}

/** Paths asked of a download: bad input is said before anything changes. */
function checkPaths(meta: FileMeta, paths: string[] | undefined): void {
  if (!paths) return;
  if (!meta.files) throw new InWords(ErrorCode.InvalidMessage, `${meta.name} is a single file, not a batch: download it whole`);
  if (paths.length === 0) throw new InWords(ErrorCode.InvalidMessage, `name at least one file of ${meta.name} to download`);
  const unknown = unknownPaths(meta.files, paths);
  if (unknown.length > 0) throw new InWords(ErrorCode.NoSuchFile, `${meta.name} has no file ${unknown.map((p) => JSON.stringify(p)).join(', ')}`);
}
