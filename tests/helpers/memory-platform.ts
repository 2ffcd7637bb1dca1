/**
 * The client core's ports filled in memory, for fast multi-peer tests in one
 * Node process (tests only: Node APIs are fine here).
 *
 * - MemoryPieceStore: a PieceStore over Maps (passes piece-store-contract.ts).
 * - nodeHasher: SHA-1 with node:crypto.
 * - MemoryNetwork: a PeerConnector whose two ends meet only through the
 *   signals the engine relays via a REAL tracker: the offer carries a random
 *   rendezvous token, so a peer the tracker refuses to relay to can never
 *   reach the other end. Channels are ordered, deliver asynchronously, and
 *   report bufferedAmount / drained() like a data channel.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SEND_LOW_WATER_BYTES } from '../../protocol/constants.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import type { Hasher, PeerChannel, PeerConnector, PieceSource, PieceStore, StoredFile } from '../../client/ports.ts';
import { TransferEngine, type TransferLimits } from '../../client/engine.ts';
import type { TrackerClient } from '../../client/tracker.ts';
import type { TestContext } from 'node:test';
import { decodeFrame, type Frame } from '../../protocol/wire.ts';
import type { SignalEnvelope } from '../../protocol/signal.ts';

// ---------------------------------------------------------------- store

export class MemoryPieceStore implements PieceStore {
  files = new Map<string, StoredFile>();
  pieces = new Map<string, Map<number, Uint8Array>>();
  /** Every putPiece, in order: tests read what was fetched. */
  writes: { fileId: string; index: number }[] = [];
  /** Every putFile, in order. */
  recordWrites: { fileId: string; pieces: number }[] = [];
  /** PieceStore.storedPieces, offered only with `listsStored` (as the browser's store does; by default, as a store that cannot). */
  storedPieces?: (fileId: string, count: number) => Promise<number[]>;

  constructor(options: { listsStored?: boolean } = {}) {
    if (options.listsStored) this.storedPieces = async (fileId) => [...(this.pieces.get(fileId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  async listFiles(): Promise<StoredFile[]> {
    return [...this.files.values()].map(cloneFile);
  }
  async getFile(fileId: string): Promise<StoredFile | undefined> {
    const f = this.files.get(fileId);
    return f && cloneFile(f);
  }
  async putFile(file: StoredFile): Promise<void> {
    this.files.set(file.fileId, cloneFile(file));
    this.recordWrites.push({ fileId: file.fileId, pieces: new Bitfield(file.meta.pieceHashes.length, file.have).count() });
  }
  async putPiece(fileId: string, index: number, data: Uint8Array): Promise<void> {
    let m = this.pieces.get(fileId);
    if (!m) this.pieces.set(fileId, (m = new Map()));
    m.set(index, data.slice());
    this.writes.push({ fileId, index });
  }
  async getPiece(fileId: string, index: number): Promise<Uint8Array | undefined> {
    return this.pieces.get(fileId)?.get(index)?.slice();
  }
  async deleteFile(fileId: string): Promise<void> {
    this.files.delete(fileId);
    this.pieces.delete(fileId);
  }
  /** Another store over the same storage, as after a page reload. */
  async reopen(): Promise<MemoryPieceStore> {
    const again = new MemoryPieceStore({ listsStored: !!this.storedPieces });
    again.files = this.files;
    again.pieces = this.pieces;
    return again;
  }
}

const cloneFile = (f: StoredFile): StoredFile => structuredClone(f);

/** Serves corrupted bytes for every piece (flips one byte per block): a lying seeder. */
export class CorruptingStore extends MemoryPieceStore {
  override async getPiece(fileId: string, index: number): Promise<Uint8Array | undefined> {
    const data = await super.getPiece(fileId, index);
    if (data) for (let off = 0; off < data.length; off += 64 * 1024) data[off]! ^= 0xff;
    return data;
  }
}

export const nodeHasher: Hasher = {
  async sha1(data) {
    return createHash('sha1').update(data).digest('hex');
  },
};

/** A PieceSource over bytes in memory (a "File"). */
export { pieceHashesOf } from './files.ts';

export function bytesSource(bytes: Uint8Array, pieceSize = 512 * 1024): PieceSource {
  return { async readPiece(i) { return bytes.slice(i * pieceSize, (i + 1) * pieceSize); } };
}

// ---------------------------------------------------------------- peers

type Signal = { type: 'offer'; token: string } | { type: 'answer'; token: string };

class MemoryChannel implements PeerChannel {
  peer: MemoryChannel | undefined;
  onClose: (() => void) | null = null;
  #onFrame: ((frame: Uint8Array) => void) | null = null;
  #inbox: Uint8Array[] = [];
  #outbox: Uint8Array[] = [];
  #buffered = 0;
  #waiters: (() => void)[] = [];
  #pumping = false;
  closed = false;
  /** Present only when the network says which path its channels take (MemoryNetwork.path). */
  path?: () => Promise<'direct' | 'relayed' | undefined>;

  constructor(private readonly network: MemoryNetwork) {
    if (network.path) this.path = async () => network.path;
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }
  get onFrame() {
    return this.#onFrame;
  }
  /** Frames that arrive before a handler is set wait for it (as a data channel's do for its first listener). */
  set onFrame(fn: ((frame: Uint8Array) => void) | null) {
    this.#onFrame = fn;
    while (fn && this.#inbox.length && !this.closed) fn(this.#inbox.shift()!);
  }

  send(frame: Uint8Array): void {
    if (this.closed) throw new Error('channel closed');
    this.network.framesSent++;
    this.#outbox.push(frame.slice());
    this.#buffered += frame.length;
    if (!this.#pumping) {
      this.#pumping = true;
      setImmediate(() => this.#pump());
    }
  }

  /** Delivers up to a link's worth per turn, so bufferedAmount rises under load like a real channel. */
  #pump(): void {
    this.#pumping = false;
    let budget = this.network.bytesPerTurn;
    while (this.#outbox.length && budget > 0 && !this.closed) {
      const frame = this.#outbox.shift()!;
      budget -= frame.length;
      this.#buffered -= frame.length;
      this.peer?.deliver(frame);
    }
    if (this.#buffered < SEND_LOW_WATER_BYTES) this.#wake();
    if (this.#outbox.length && !this.closed) {
      this.#pumping = true;
      setImmediate(() => this.#pump());
    }
  }

  deliver(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.#onFrame) this.#onFrame(frame);
    else this.#inbox.push(frame);
  }

  drained(): Promise<void> {
    if (this.#buffered < SEND_LOW_WATER_BYTES || this.closed) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#outbox = [];
    this.#buffered = 0;
    this.#wake();
    this.network.open.delete(this);
    setImmediate(() => this.onClose?.());
    this.peer?.close();
  }
}

export class MemoryNetwork {
  /** Offers waiting for an answer, by rendezvous token. */
  #offers = new Map<string, { channel: MemoryChannel; resolve: (c: PeerChannel) => void }>();
  open = new Set<MemoryChannel>();
  framesSent = 0;
  /** Bytes a channel delivers per event-loop turn. */
  bytesPerTurn = 1024 * 1024;
  /** The path channels made from now on report (PeerChannel.path); undefined: they cannot tell, as by default. */
  path: 'direct' | 'relayed' | undefined;

  connector(): PeerConnector {
    return {
      connect: ({ initiator, sendSignal }) => {
        let resolve!: (c: PeerChannel) => void;
        let reject!: (e: Error) => void;
        const channel = new Promise<PeerChannel>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        channel.catch(() => undefined);
        const mine = new MemoryChannel(this);
        let token: string | undefined;
        let destroyed = false;
        if (initiator) {
          const offer = randomBytes(16).toString('hex');
          token = offer;
          this.#offers.set(offer, { channel: mine, resolve });
          queueMicrotask(() => !destroyed && sendSignal({ type: 'offer', token: offer } satisfies Signal));
        }
        return {
          signal: (data: unknown) => {
            if (destroyed) return;
            const s = data as Signal;
            if (!initiator && s?.type === 'offer') {
              const offer = this.#offers.get(s.token);
              if (!offer) return reject(new Error('unknown offer'));
              this.#offers.delete(s.token);
              mine.peer = offer.channel;
              offer.channel.peer = mine;
              token = s.token;
              this.open.add(mine);
              this.open.add(offer.channel);
              sendSignal({ type: 'answer', token: s.token } satisfies Signal);
              resolve(mine);
            } else if (initiator && s?.type === 'answer' && s.token === token && mine.peer) {
              resolve(mine);
            }
          },
          channel,
          destroy: () => {
            destroyed = true;
            if (token) this.#offers.delete(token);
            mine.close();
            reject(new Error('destroyed'));
          },
        };
      },
    };
  }

  /** Closes every channel (tests' teardown). */
  closeAll(): void {
    for (const c of [...this.open]) c.close();
    this.#offers.clear();
  }
}

// ---------------------------------------------------------------- engines

export interface MemoryPeer {
  engine: TransferEngine;
  store: MemoryPieceStore;
  tracker: TrackerClient;
}

/** A transfer engine over the memory platform, closed at teardown. */
export async function memoryEngine(
  t: Pick<TestContext, 'after'>,
  tracker: TrackerClient,
  network: MemoryNetwork,
  options: { store?: MemoryPieceStore; limits?: Partial<TransferLimits>; start?: boolean } = {},
): Promise<MemoryPeer> {
  const store = options.store ?? new MemoryPieceStore();
  const engine = new TransferEngine({ tracker, store, hasher: nodeHasher, connector: network.connector(), limits: options.limits });
  t.after(() => engine.close());
  if (options.start !== false) await engine.start();
  return { engine, store, tracker };
}

// ---------------------------------------------------------------- people

/**
 * Logged-in clients that share one group: the first creates it, the others
 * join with an invite link. Returns the clients in the order of `users`.
 */
export async function groupOf(
  t: Pick<TestContext, 'after'>,
  urls: string | string[],
  groupId: string,
  users: string[],
): Promise<TrackerClient[]> {
  const { userClient } = await import('./tracker.ts');
  const clients: TrackerClient[] = [];
  for (const u of users) clients.push(await userClient(t, urls, u));
  await clients[0]!.request('create_group', { groupId });
  if (clients.length > 1) {
    const { token } = await clients[0]!.request('create_invite', { groupId });
    for (const c of clients.slice(1)) await c.request('join_group', { groupId, invite: token });
  }
  return clients;
}

/** The bytes of a downloaded file, read back piece by piece through the engine. */
export async function readAll(engine: TransferEngine, fileId: string): Promise<Uint8Array> {
  const info = engine.info(fileId);
  if (!info) throw new Error(`no file ${fileId}`);
  const out = new Uint8Array(info.size);
  for (let i = 0; i < info.pieceCount; i++) out.set(await engine.readPiece(fileId, i), i * 512 * 1024);
  return out;
}

/**
 * A hand-driven peer for protocol tests: dials `to` through the tracker for
 * `signalFileId` (so the tracker authorises it as it would a real client),
 * then speaks raw frames. Collects what it receives.
 */
export async function rawPeer(t: Pick<TestContext, 'after'>, client: TrackerClient, network: MemoryNetwork, signalFileId: string, to: string) {
  const conn = `raw-${randomBytes(6).toString('hex')}`;
  const handle = network.connector().connect({
    initiator: true,
    iceServers: [],
    sendSignal: (data) => void client.request('signal', { fileId: signalFileId, to, data: { conn, data } satisfies SignalEnvelope }).catch(() => undefined),
  });
  t.after(() => handle.destroy());
  const off = client.on('event', (e) => {
    if (e.event === 'signal' && (e.data as SignalEnvelope).conn === conn) handle.signal((e.data as SignalEnvelope).data);
  });
  t.after(off);
  const channel: PeerChannel = await handle.channel;
  const frames: Frame[] = [];
  let closed = false;
  channel.onFrame = (bytes) => {
    const d = decodeFrame(bytes);
    if (d.ok) frames.push(d.frame);
  };
  channel.onClose = () => (closed = true);
  return { channel, frames, isClosed: () => closed };
}
