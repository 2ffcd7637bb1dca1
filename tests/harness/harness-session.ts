/**
 * One person's client core in the harness page: tracker connection, browser
 * platform and transfer engine, plus the test-only instruments the e2e
 * scenarios need (a switch that makes this peer corrupt what it serves, and
 * counters of the blocks it served per piece).
 */
import type { TrackerClient } from '../../client/tracker.ts';
import { TransferEngine, type TransferLimits } from '../../client/engine.ts';
import type { PeerChannel, PeerConnector } from '../../client/ports.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { FrameType, decodeFrame, encodeFrame } from '../../protocol/wire.ts';
import { BLOCK_SIZE } from '../../protocol/constants.ts';
import { createBrowserPlatform, type BrowserPlatform } from '../../web/src/platform/index.ts';
import type { IdbPieceStore } from '../../web/src/platform/idb-store.ts';
import { BrowserPieceStore } from '../../web/src/platform/piece-store.ts';
import { BlobPieceSource, keepFileHandle, reopenFileSource } from '../../web/src/platform/file-source.ts';
import { saveStoredFile, type SaveMethod } from '../../web/src/platform/save.ts';

export interface SessionOptions {
  userId: string;
  password?: string;
  /** Tracker WebSocket URLs; the page's own tracker by default. */
  trackerUrls?: string[];
  limits?: Partial<TransferLimits>;
  /** Start as a bad seeder: every block served has one byte flipped. */
  corrupt?: boolean;
  /**
   * 'indexeddb': new files keep their pieces in IndexedDB, as the app did
   * before OPFS (tests of files downloaded then); the app's store by default.
   */
  pieces?: 'indexeddb';
}

/** Test instruments wrapped around the real connector: corruption switch and served-block counters. */
export interface Instruments {
  corrupt: boolean;
  /** Blocks this peer sent, per piece index (all files, all peers). */
  servedBlocks: Map<number, number>;
  /** Bytes this peer sent and received over peer channels. */
  bytesSent: number;
  bytesReceived: number;
}

export function instrumentedConnector(inner: PeerConnector, inst: Instruments): PeerConnector {
  return {
    connect(options) {
      const link = inner.connect(options);
      return {
        ...link,
        channel: link.channel.then((ch): PeerChannel => {
          let onFrame: PeerChannel['onFrame'] = null;
          return {
            send(frame: Uint8Array) {
              inst.bytesSent += frame.byteLength;
              // Block frame: version, type, piece (u32 BE), offset (u32 BE), data.
              if (frame[1] === FrameType.Block && frame.length > 10) {
                const piece = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(2);
                inst.servedBlocks.set(piece, (inst.servedBlocks.get(piece) ?? 0) + 1);
                if (inst.corrupt) {
                  const bad = frame.slice();
                  bad[bad.length - 1]! ^= 0xff;
                  return ch.send(bad);
                }
              }
              ch.send(frame);
            },
            get bufferedAmount() {
              return ch.bufferedAmount;
            },
            drained: () => ch.drained(),
            get onFrame() {
              return onFrame;
            },
            set onFrame(handler) {
              onFrame = handler;
              ch.onFrame = handler && ((f) => ((inst.bytesReceived += f.byteLength), handler(f)));
            },
            get onClose() {
              return ch.onClose;
            },
            set onClose(handler) {
              ch.onClose = handler;
            },
            close: () => ch.close(),
          };
        }),
      };
    },
  };
}

export interface EngineEventLog {
  pieceFailed: { piece: number; peers: { peerId: string; userId: string }[] }[];
  peerDropped: { peerId: string; userId: string; reason: string }[];
  /** Every peer link closed, with the swarm's reason (diagnostics). */
  peerClosed: { fileId: string; userId: string; reason: string }[];
  errors: string[];
  completed: string[];
}

export class HarnessSession {
  /** The app's platform, with this person's piece store opened as the app opens it (storeFor). */
  readonly platform: BrowserPlatform & { store: IdbPieceStore };
  readonly tracker: TrackerClient;
  readonly engine: TransferEngine;
  readonly instruments: Instruments = { corrupt: false, servedBlocks: new Map(), bytesSent: 0, bytesReceived: 0 };
  readonly events: EngineEventLog = { pieceFailed: [], peerDropped: [], peerClosed: [], errors: [], completed: [] };

  private constructor(readonly options: SessionOptions) {
    // Composed as the app composes it (web/src/main.ts, start-transfers.ts), with test timings.
    const platform = createBrowserPlatform({
      ...(options.trackerUrls ? { trackerUrls: options.trackerUrls } : {}),
      tracker: { requestTimeoutMs: 20_000, reconnectDelayMs: 200 },
    });
    const store = options.pieces === 'indexeddb' ? new BrowserPieceStore(`meshdrop-${options.userId}`, { opfs: false }) : platform.storeFor(options.userId);
    this.platform = { ...platform, store };
    this.instruments.corrupt = options.corrupt ?? false;
    this.tracker = platform.tracker;
    this.engine = new TransferEngine({
      tracker: this.tracker,
      store,
      hasher: this.platform.hasher,
      connector: instrumentedConnector(this.platform.connector, this.instruments),
      openSource: async (file) => {
        const r = await reopenFileSource(store, file.fileId, PIECE_SIZE);
        return r.status === 'ready' ? r.source : undefined;
      },
      ...(options.limits ? { limits: options.limits } : {}),
    });
    this.engine.on('piece_failed', (e) => this.events.pieceFailed.push({ piece: e.piece, peers: e.peers }));
    this.engine.on('peer_dropped', (e) => this.events.peerDropped.push({ peerId: e.peerId, userId: e.userId, reason: e.reason }));
    this.engine.on('peer_closed', (e) => this.events.peerClosed.push({ fileId: e.fileId, userId: e.userId, reason: e.reason }));
    this.engine.on('error', (e) => this.events.errors.push(e.message));
    this.engine.on('complete', (e) => this.events.completed.push(e.fileId));
  }

  /** Connects, signs up (once) and logs in, then resumes whatever the store holds. */
  static async start(options: SessionOptions): Promise<HarnessSession> {
    const s = new HarnessSession(options);
    const password = options.password ?? 'password1';
    await s.tracker.connect();
    await s.tracker.request('create_user', { userId: options.userId, password }).catch((err: { code?: string }) => {
      if (err.code !== 'user_exists') throw err;
    });
    await s.tracker.login(options.userId, password);
    await s.engine.start();
    return s;
  }

  /**
   * Shares a file the way the app does: hashes in the worker straight from
   * the File (progress per piece), keeps its handle where one exists, else
   * copies the pieces into IndexedDB.
   */
  async share(
    file: File,
    groupId: string,
    options: { keep?: 'original' | 'store'; handle?: FileSystemFileHandle; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<{ fileId: string; hashMs: number; shareMs: number }> {
    const t0 = performance.now();
    const source = new BlobPieceSource(file, PIECE_SIZE);
    const pieceHashes = await this.platform.hasher.hashFile(source.file, PIECE_SIZE, {
      onProgress: (p) => options.onProgress?.(p.piecesDone, p.pieceCount),
    });
    const t1 = performance.now();
    const keep = options.keep ?? (options.handle ? 'original' : 'store');
    const { fileId } = await this.engine.share({
      source,
      name: file.name,
      size: file.size,
      groupId,
      keep,
      pieceHashes,
    });
    if (options.handle) await keepFileHandle(this.platform.store, fileId, options.handle);
    return { fileId, hashMs: t1 - t0, shareMs: performance.now() - t0 };
  }

  /** Saves a complete download through the browser's download (tests read the saved file). */
  async save(fileId: string, method: SaveMethod = 'download'): Promise<SaveMethod> {
    const file = await this.platform.store.getFile(fileId);
    if (!file) throw new Error(`no stored file ${fileId}`);
    return saveStoredFile(this.platform.store, file, method);
  }

  /** Verified pieces held in the store right now (the bitfield saved with the record). */
  async storedPieces(fileId: string): Promise<number[]> {
    const file = await this.platform.store.getFile(fileId);
    if (!file) return [];
    const out: number[] = [];
    for (let i = 0; i < file.meta.pieceHashes.length; i++) if (file.have[i >> 3]! & (0x80 >> (i & 7))) out.push(i);
    return out;
  }

  /**
   * An attacker's probe, bypassing the engine: dials `to` with signals sent
   * for `signalFileId` (a file both may legitimately share), then sends a
   * handshake for `handshakeFileId` and asks for the first block of each
   * listed piece. Reports what came back within `waitMs`.
   */
  async probePeer(options: {
    signalFileId: string;
    to: string;
    handshakeFileId: string;
    pieceCount: number;
    pieces: number[];
    waitMs?: number;
  }): Promise<{ opened: boolean; closed: boolean; frames: string[]; blockBytes: number }> {
    const conn = `probe-${Math.random().toString(36).slice(2, 10)}`;
    const link = this.platform.connector.connect({
      initiator: true,
      iceServers: this.tracker.iceServers,
      sendSignal: (data) => {
        this.tracker.request('signal', { fileId: options.signalFileId, to: options.to, data: { conn, data } }).catch(() => undefined);
      },
    });
    const off = this.tracker.on('event', (e) => {
      if (e.event !== 'signal' || e.from !== options.to) return;
      const env = e.data as { conn?: string; data?: unknown };
      if (env?.conn === conn) link.signal(env.data);
    });
    const result = { opened: false, closed: false, frames: [] as string[], blockBytes: 0 };
    try {
      const ch = await Promise.race([link.channel, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
      if (!ch) return result;
      result.opened = true;
      const closed = new Promise<void>((resolve) => (ch.onClose = resolve));
      ch.onFrame = (bytes) => {
        const d = decodeFrame(bytes);
        if (!d.ok) return;
        result.frames.push(d.frame.type);
        if (d.frame.type === 'block') result.blockBytes += d.frame.data.length;
      };
      const peerId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
      ch.send(encodeFrame({ type: 'handshake', fileId: options.handshakeFileId, peerId, pieceCount: options.pieceCount, bitfield: new Uint8Array(Math.ceil(options.pieceCount / 8)) }));
      for (const piece of options.pieces) ch.send(encodeFrame({ type: 'request', piece, offset: 0, length: BLOCK_SIZE }));
      await Promise.race([closed.then(() => (result.closed = true)), new Promise((r) => setTimeout(r, options.waitMs ?? 5_000))]);
      return result;
    } finally {
      off();
      link.destroy();
    }
  }

  servedBlocks(): Record<number, number> {
    return Object.fromEntries(this.instruments.servedBlocks);
  }

  close(): void {
    this.engine.close();
    this.platform.close();
  }
}
