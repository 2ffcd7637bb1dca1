/**
 * One connection to one peer for one file, from dial to close, in one
 * explicit state:
 *
 *   dialing ──channel open──▶ open ──their handshake admitted──▶ ready
 *      └──────── connect timeout, failure, bad frame, close ────────▶ closed
 *
 * A link owns what belongs to one connection: the transport's handle and
 * channel, the connect timeout, decoding frames, the handshake checks that
 * need only the frame and the file (file id, piece count, not ourselves, one
 * handshake), and serving: requests queue (bounded) and blocks go out only
 * while the channel's bufferedAmount is under the high-water mark and the
 * upload bucket has tokens. Block requests made in one turn of the event
 * loop go together in one `requests` frame; each block goes out through
 * one reused frame buffer. Whatever concerns the whole swarm (who is
 * banned, a second link to the same peer, the picker, blocks received,
 * strikes) it hands to its LinkHost, the swarm.
 */
import { Bitfield } from '../protocol/bitfield.ts';
import { MAX_QUEUED_REQUESTS, MAX_REQUESTS_PER_FRAME, SEND_HIGH_WATER_BYTES } from '../protocol/constants.ts';
import { asInstanceId, type ConnId, type InstanceId, type PresenceId } from '../protocol/ids.ts';
import type { SignalEnvelope } from '../protocol/signal.ts';
import type { IceServer } from '../protocol/tracker.ts';
import { decodeFrame, encodeBlockInto, encodeFrame, MAX_BLOCK_FRAME_BYTES, type BlockRef, type Frame } from '../protocol/wire.ts';
import type { PeerChannel, PeerConnector } from './ports.ts';
import type { RateMeter } from './rate.ts';
import type { Turn, UploadTurns } from './upload-turns.ts';
import { wireMismatchReason, type ConnectionPath } from './connection-path.ts';

/**
 * A ready link asks its channel for the path this many times, this far
 * apart: the selected candidate pair is usually in the stats by the time the
 * channel opens, but a browser may publish it a moment later.
 */
const PATH_TRIES = 5;
const PATH_RETRY_MS = 1_000;

export type LinkState = 'dialing' | 'open' | 'ready' | 'closed';


export type BlockFrame = Extract<Frame, { type: 'block' }>;
type HandshakeFrame = Extract<Frame, { type: 'handshake' }>;

/** What we have exchanged with one peer instance for this file; the swarm keeps it after the peer leaves. */
export interface PeerTotals {
  peerId: PresenceId;
  userId: string;
  down: RateMeter;
  up: RateMeter;
  strikes: number;
  /** The path of the current (or last) link to the peer, once known. */
  path?: ConnectionPath | undefined;
}

/** What a link needs from its swarm. */
export interface LinkHost {
  readonly fileId: string;
  readonly pieceCount: number;
  readonly instanceId: InstanceId;
  /** Our verified pieces: sent in our handshake. */
  readonly have: Bitfield;
  /** The upload cap, shared by every link, taken in the order requests arrived. */
  readonly uploadTurns: UploadTurns;
  /** A request we can serve: a piece we hold, a well-formed block of it. */
  canServe(ref: BlockRef): boolean;
  /** The bytes of a piece to serve from; undefined if they cannot be had. */
  readPiece(index: number): Promise<Uint8Array | undefined>;
  /** Their handshake passed the link's own checks: a reason to refuse it, or undefined to admit it. */
  admit(link: PeerLink, instance: InstanceId): string | undefined;
  /** Admitted: `instance` and `bits` are set. */
  ready(link: PeerLink): void;
  /** They announced a piece (in range). */
  peerHas(link: PeerLink, piece: number): void;
  reject(link: PeerLink, ref: BlockRef): void;
  block(link: PeerLink, frame: BlockFrame): void;
  /** A block of `piece` went out on the link. */
  served(link: PeerLink, bytes: number, piece: number): void;
  /** Under the upload cap a block of a lower rank goes first (client/upload-turns.ts); absent: arrival order only. */
  serveRank?(link: PeerLink, piece: number): number;
  error(message: string): void;
  /** The platform told the link's network path (direct or through a relay), once it was ready. */
  pathKnown?(link: PeerLink, path: ConnectionPath): void;
  /** The link closed (it is already torn down). */
  closed(link: PeerLink, reason: string): void;
}

export interface LinkInit {
  conn: ConnId;
  peerId: PresenceId;
  userId: string;
  /** We dialled (we learned of them), or they dialled us. */
  initiator: boolean;
  connector: PeerConnector;
  iceServers: IceServer[];
  /** Sends an envelope to the peer through the tracker; rejects if the tracker refuses. */
  signal: (to: PresenceId, envelope: SignalEnvelope) => Promise<void>;
  connectTimeoutMs: number;
}

export class PeerLink {
  readonly conn: ConnId;
  /** The tracker's presence id of the peer: it changes when the peer reconnects to a tracker. */
  peerId: PresenceId;
  readonly userId: string;
  readonly initiator: boolean;
  /** Their instance id and pieces, from their handshake (set once ready). */
  instance: InstanceId | undefined;
  bits: Bitfield | undefined;
  /** Set by the swarm when the link becomes ready. */
  totals: PeerTotals | undefined;
  /** The ICE servers it was dialled (or answered) with: what a failure's reason depends on. */
  readonly iceServers: IceServer[];
  /** Direct or relayed, once the platform has said (PeerChannel.path). */
  path: ConnectionPath | undefined;
  readonly #host: LinkHost;
  readonly #handle: ReturnType<PeerConnector['connect']>;
  #state: LinkState = 'dialing';
  #channel: PeerChannel | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pathTimer: ReturnType<typeof setTimeout> | undefined;
  #opened = false;
  #foundNoPath = false;
  /** The wire version the peer spoke, when it was not ours (the link then closed). */
  #theirWireVersion: number | undefined;
  /** Block requests made this turn, sent together in one frame (#flushRequests). */
  #pendingRequests: BlockRef[] = [];
  /** The one buffer every block frame we serve is encoded into (encodeBlockInto). */
  #blockFrame: Uint8Array | undefined;
  #serveQueue: (BlockRef & { ticket: number })[] = [];
  #serving = false;
  /** The serve loop's wait for its turn under the upload cap, cut short on close. */
  #turn: Turn | undefined;

  constructor(init: LinkInit, host: LinkHost) {
    this.conn = init.conn;
    this.peerId = init.peerId;
    this.userId = init.userId;
    this.initiator = init.initiator;
    this.iceServers = init.iceServers;
    this.#host = host;
    this.#connectTimer = setTimeout(() => this.#noPathFound('connect timeout'), init.connectTimeoutMs);
    this.#handle = init.connector.connect({
      initiator: init.initiator,
      iceServers: init.iceServers,
      sendSignal: (data) => {
        if (this.#isClosed()) return;
        init.signal(this.peerId, { conn: this.conn, data }).catch(() => {
          // Refused (not a member, offline): this connection cannot happen.
          this.close('the tracker refused the signal');
        });
      },
    });
    this.#handle.channel.then(
      (channel) => this.#onOpen(channel),
      () => this.#noPathFound('connection failed'),
    );
  }

  get state(): LinkState {
    return this.#state;
  }

  /**
   * Closed because no network path came up: the transport failed, or the
   * connect timeout passed, before the channel ever opened. Not set for a
   * link that was refused (busy, the tracker) or closed by us.
   */
  get foundNoPath(): boolean {
    return this.#foundNoPath;
  }

  /** The peer's wire version when it spoke another one than ours (see wireMismatchReason); else undefined. */
  get theirWireVersion(): number | undefined {
    return this.#theirWireVersion;
  }

  /** A signal from the peer, for the transport. */
  signal(data: unknown): void {
    if (!this.#isClosed()) this.#handle.signal(data);
  }

  send(frame: Frame): void {
    if (this.#isClosed() || !this.#channel) return;
    // Requests already made go first: a cancel must not overtake the request it cancels.
    if (this.#pendingRequests.length > 0) this.#flushRequests();
    this.#sendBytes(encodeFrame(frame));
  }

  /**
   * Asks the peer for a block. Requests made in the same turn go in one
   * `requests` frame, sent once the turn's synchronous work is done (the
   * swarm tops a pipeline up several blocks at a time).
   */
  request(ref: BlockRef): void {
    if (this.#isClosed() || !this.#channel) return;
    this.#pendingRequests.push({ piece: ref.piece, offset: ref.offset, length: ref.length });
    if (this.#pendingRequests.length === 1) queueMicrotask(() => this.#flushRequests());
    else if (this.#pendingRequests.length >= MAX_REQUESTS_PER_FRAME) this.#flushRequests();
  }

  #flushRequests(): void {
    const refs = this.#pendingRequests;
    if (refs.length === 0) return;
    this.#pendingRequests = [];
    if (this.#isClosed()) return;
    const [only] = refs;
    this.#sendBytes(encodeFrame(refs.length === 1 ? { type: 'request', ...only! } : { type: 'requests', refs }));
  }

  #sendBytes(bytes: Uint8Array): void {
    try {
      this.#channel!.send(bytes);
    } catch {
      this.close('send failed');
    }
  }

  close(reason = 'closed'): void {
    if (this.#isClosed()) return;
    this.#state = 'closed';
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#pathTimer);
    this.#serveQueue = [];
    this.#pendingRequests = [];
    if (this.#turn) {
      this.#turn.cancel();
      this.#turn = undefined;
    }
    try {
      this.#channel?.close();
    } catch {
      /* already closed */
    }
    try {
      this.#handle.destroy();
    } catch {
      /* already destroyed */
    }
    this.#host.closed(this, reason);
  }

  #noPathFound(reason: string): void {
    if (this.#isClosed()) return;
    if (!this.#opened) this.#foundNoPath = true;
    this.close(reason);
  }

  /** Not a getter: TypeScript would keep a narrowed state across the serve loop's awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #onOpen(channel: PeerChannel): void {
    if (this.#isClosed()) {
      channel.close();
      return;
    }
    this.#channel = channel;
    this.#opened = true;
    this.#state = 'open';
    const host = this.#host;
    // Our handshake goes first: a handler may run at once for frames already waiting.
    this.send({ type: 'handshake', fileId: host.fileId, peerId: host.instanceId, pieceCount: host.pieceCount, bitfield: host.have.bytes });
    channel.onClose = () => this.close('channel closed');
    channel.onFrame = (frame) => this.#onFrame(frame);
  }

  // ---------------------------------------------------------- frames

  #onFrame(bytes: Uint8Array): void {
    // Nothing a peer sends may throw into the transport's callback.
    try {
      if (this.#isClosed()) return;
      const decoded = decodeFrame(bytes);
      if (!decoded.ok) {
        if (decoded.version === undefined) return this.close(`bad frame: ${decoded.message}`);
        this.#theirWireVersion = decoded.version;
        return this.close(wireMismatchReason(this.userId, decoded.version));
      }
      const frame = decoded.frame;
      if (frame.type === 'handshake') return this.#onHandshake(frame);
      if (this.#state !== 'ready') return this.close('frame before handshake');
      switch (frame.type) {
        case 'have':
          if (frame.piece >= this.#host.pieceCount) return this.close('have: no such piece');
          return this.#host.peerHas(this, frame.piece);
        case 'request':
          return this.#onRequest(frame);
        case 'requests':
          for (const ref of frame.refs) this.#onRequest(ref);
          return;
        case 'cancel':
          this.#serveQueue = this.#serveQueue.filter((r) => r.piece !== frame.piece || r.offset !== frame.offset);
          return;
        case 'reject':
          return this.#host.reject(this, frame);
        case 'block':
          return this.#host.block(this, frame);
      }
    } catch (err) {
      this.close(`internal: ${(err as Error).message}`);
    }
  }

  #onHandshake(frame: HandshakeFrame): void {
    const host = this.#host;
    if (this.#state === 'ready') return this.close('second handshake');
    // The tracker authorised this connection for this file only: any other file id is refused.
    if (frame.fileId !== host.fileId) return this.close('handshake for another file');
    if (frame.pieceCount !== host.pieceCount) return this.close('handshake with a wrong piece count');
    const instance = asInstanceId(frame.peerId);
    if (instance === host.instanceId) return this.close('a connection to ourselves');
    const refusal = host.admit(this, instance);
    if (refusal) return this.close(refusal);
    clearTimeout(this.#connectTimer);
    this.instance = instance;
    this.bits = new Bitfield(host.pieceCount, frame.bitfield);
    this.#state = 'ready';
    host.ready(this);
    this.#learnPath(PATH_TRIES);
  }

  /** Asks the channel which path it took; tries again a little later while it cannot say yet. */
  #learnPath(tries: number): void {
    const channel = this.#channel;
    if (!channel?.path || tries <= 0 || this.#isClosed()) return;
    channel.path().then(
      (path) => {
        if (this.#isClosed()) return;
        if (path) {
          this.path = path;
          this.#host.pathKnown?.(this, path);
        } else {
          this.#pathTimer = setTimeout(() => this.#learnPath(tries - 1), PATH_RETRY_MS);
        }
      },
      () => undefined, // stats unavailable: the path stays unknown
    );
  }

  // ---------------------------------------------------------- serving

  #onRequest(ref: BlockRef): void {
    if (!this.#host.canServe(ref) || this.#serveQueue.length >= MAX_QUEUED_REQUESTS) {
      this.send({ ...ref, type: 'reject' });
      return;
    }
    this.#serveQueue.push({ piece: ref.piece, offset: ref.offset, length: ref.length, ticket: this.#host.uploadTurns.ticket() });
    void this.#serve();
  }

  async #serve(): Promise<void> {
    if (this.#serving) return;
    this.#serving = true;
    const host = this.#host;
    try {
      while (!this.#isClosed() && this.#serveQueue.length > 0) {
        const channel = this.#channel!;
        // Backpressure: nothing queues without bound in the channel.
        while (channel.bufferedAmount > SEND_HIGH_WATER_BYTES && !this.#isClosed()) await channel.drained();
        const ref = this.#serveQueue[0];
        if (!ref) break;
        const turn = host.uploadTurns.turn(ref.ticket, ref.length, host.serveRank && (() => host.serveRank!(this, ref.piece)));
        this.#turn = turn;
        const granted = await turn.ready;
        this.#turn = undefined;
        if (!granted || this.#isClosed()) break;
        // A cancel frame took it out while it waited: its tokens are spent; the next waits its own turn.
        if (this.#serveQueue[0] !== ref) continue;
        this.#serveQueue.shift();
        const piece = await host.readPiece(ref.piece);
        if (this.#isClosed()) break;
        if (!piece || piece.length < ref.offset + ref.length) {
          this.send({ ...ref, type: 'reject' });
          continue;
        }
        this.#sendBlock(ref, piece.subarray(ref.offset, ref.offset + ref.length));
        host.served(this, ref.length, ref.piece);
      }
    } catch (err) {
      host.error(`serving a block failed: ${(err as Error).message}`);
      this.close('serve failed');
    } finally {
      this.#serving = false;
    }
  }

  /** A block frame through the link's one frame buffer: the channel copies it before send returns. */
  #sendBlock(ref: BlockRef, data: Uint8Array): void {
    if (this.#isClosed() || !this.#channel) return;
    if (this.#pendingRequests.length > 0) this.#flushRequests();
    this.#blockFrame ??= new Uint8Array(MAX_BLOCK_FRAME_BYTES);
    this.#sendBytes(encodeBlockInto(this.#blockFrame, ref.piece, ref.offset, data));
  }
}
