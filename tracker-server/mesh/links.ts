/**
 * The built-in mesh: trackers dial each other over WebSocket (`/mesh` on the
 * same port as clients) and prove they share the secret before anything else.
 *
 * Handshake (HMAC-SHA256 over both nonces, the secret never on the wire):
 *   acceptor → dialer   challenge {nonce A}               (nothing about the acceptor)
 *   dialer → acceptor   auth {trackerId, nonce B, HMAC("dial", A, B, id)}
 *   acceptor → dialer   welcome {trackerId, HMAC("accept", B, A, id)}
 * A side whose proof is wrong is closed with MeshAuthFailed having received
 * only a random nonce. Each side then sends `sync` (its version vector and
 * client URLs) and a presence snapshot; each answers the other's sync with the
 * ops it lacks, and from then on the link carries live ops, presence and
 * signals.
 *
 * Two trackers that both list each other hold two links; every message goes
 * over one of them, and the other tracker counts as gone only when the last
 * link to it closes. A dialer redials with backoff, forever.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { CloseCode } from '../../protocol/errors.ts';
import {
  MESH_AUTH_TIMEOUT_MS,
  MESH_BATCH_BYTES,
  MESH_HANDSHAKE_MAX_FRAME_BYTES,
  MESH_MAX_ACCEPTED_LINKS,
  MESH_MAX_FRAME_BYTES,
  MESH_MAX_PENDING_LINKS,
  MESH_PING_MS,
  MESH_PROTOCOL_VERSION,
  MESH_RECONNECT_MAX_MS,
  MESH_RECONNECT_MIN_MS,
  parseHandshakeMessage,
  parseLinkMessage,
  type HandshakeMessage,
  type LinkMessage,
  type PresenceMessage,
  type SignalMessage,
} from '../../protocol/mesh.ts';
import type { Op } from '../../protocol/ops.ts';
import type { Bus, BusStats, MeshNode } from './bus.ts';

export interface LinksOptions {
  /** Trackers to dial: ws://host:port (the /mesh path is added if missing). */
  peers: readonly string[];
  secret: string;
}

/** The mesh endpoint of a tracker given as ws://host:port or a full URL. */
export function meshUrl(peer: string): string {
  const url = new URL(peer);
  if (url.pathname === '/' || url.pathname === '' || url.pathname === '/ws') url.pathname = '/mesh';
  return url.toString();
}

const hmac = (secret: string, ...parts: string[]): string =>
  createHmac('sha256', secret).update(parts.join('\n')).digest('hex');

const sameProof = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/**
 * Raises the largest frame a socket reads, once its peer has proved itself.
 * `ws` fixes maxPayload per server or client and has no public setter; its
 * receiver reads `_maxPayload` afresh for every frame header, and a message
 * handler runs before the next frame's header is read, so raising it while
 * handling the proof covers every frame after it. tests/integration
 * mesh-hostile.test.ts pins both sides (small before, large after).
 */
function raiseMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

export class LinksBus implements Bus {
  readonly kind = 'links';
  readonly stats: BusStats = { opsSent: 0, opsReceived: 0, trackers: 0 };
  #options: LinksOptions;
  #node: MeshNode | undefined;
  #wss: WebSocketServer;
  #links = new Map<string, Set<Link>>();
  #dialers: Dialer[] = [];
  #accepted = new Set<Link>();
  #closed = false;

  constructor(options: LinksOptions) {
    if (!options.secret) throw new Error('the tracker mesh needs a shared secret (--secret)');
    this.#options = options;
    // Raised to MESH_MAX_FRAME_BYTES per link once its peer has proved itself (raiseMaxPayload).
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MESH_HANDSHAKE_MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  }

  get node(): MeshNode {
    if (!this.#node) throw new Error('mesh not started');
    return this.#node;
  }
  get secret(): string {
    return this.#options.secret;
  }

  async start(node: MeshNode): Promise<void> {
    this.#node = node;
    for (const peer of this.#options.peers) {
      const dialer = new Dialer(meshUrl(peer), this);
      this.#dialers.push(dialer);
      dialer.dial();
    }
  }

  /** An HTTP upgrade on /mesh: another tracker dialling in. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closed || !this.#node) {
      socket.destroy();
      return;
    }
    let pending = 0;
    for (const link of this.#accepted) if (!link.proved) pending++;
    if (pending >= MESH_MAX_PENDING_LINKS || this.#accepted.size >= MESH_MAX_ACCEPTED_LINKS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const link = new Link(ws, this, false);
      this.#accepted.add(link);
      ws.once('close', () => this.#accepted.delete(link));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A link proved itself and is ready for sync. */
  linkUp(link: Link): void {
    let set = this.#links.get(link.remoteId!);
    if (!set) this.#links.set(link.remoteId!, (set = new Set()));
    set.add(link);
    this.stats.trackers = this.#links.size;
  }

  linkDown(link: Link): void {
    const set = this.#links.get(link.remoteId!);
    if (!set?.delete(link)) return;
    if (set.size === 0) {
      this.#links.delete(link.remoteId!);
      this.stats.trackers = this.#links.size;
      this.#node?.trackerDown(link.remoteId!);
    }
  }

  /** One live link to each reachable tracker. */
  *#targets(): Generator<[string, Link]> {
    for (const [id, set] of this.#links) {
      for (const link of set) {
        if (link.live) {
          yield [id, link];
          break;
        }
      }
    }
  }

  publishOps(ops: readonly Op[], from?: string): void {
    for (const [id, link] of this.#targets()) {
      if (id === from) continue;
      const out = ops.filter((op) => op.origin !== id);
      if (out.length > 0) link.sendOps(out);
    }
  }

  publishPresence(message: PresenceMessage): void {
    for (const [, link] of this.#targets()) link.send(message);
  }

  sendSignal(trackerId: string, message: SignalMessage): boolean {
    for (const link of this.#links.get(trackerId) ?? []) {
      if (link.live) {
        link.send(message);
        return true;
      }
    }
    return false;
  }

  resync(): void {
    for (const [, link] of this.#targets()) link.sendSync();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const dialer of this.#dialers) dialer.stop();
    for (const set of this.#links.values()) for (const link of set) link.close(1001, 'tracker shutting down');
    for (const link of this.#accepted) link.close(1001, 'tracker shutting down');
    this.#wss.close();
  }
}

/** Keeps one outgoing link to a peer alive: dial, and on loss redial with backoff. */
class Dialer {
  #delay = MESH_RECONNECT_MIN_MS;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #link: Link | undefined;
  #stopped = false;
  #warned = false;

  constructor(
    readonly url: string,
    private readonly bus: LinksBus,
  ) {}

  dial(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(this.url, { maxPayload: MESH_HANDSHAKE_MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: MESH_AUTH_TIMEOUT_MS });
    const link = new Link(ws, this.bus, true);
    this.#link = link;
    link.onLive = () => {
      this.#delay = MESH_RECONNECT_MIN_MS;
      this.#warned = false;
    };
    link.onAuthFailed = (why) => {
      if (!this.#warned) console.warn(`mesh: ${this.url}: ${why}`);
      this.#warned = true;
    };
    ws.once('close', (code) => {
      this.#link = undefined;
      if (code === CloseCode.MeshAuthFailed) link.onAuthFailed?.('refused our proof: is --secret the same on both trackers?');
      if (this.#stopped) return;
      // Jitter, so two trackers that lost each other do not redial in lockstep.
      const wait = this.#delay * (0.75 + Math.random() / 2);
      this.#delay = Math.min(this.#delay * 2, MESH_RECONNECT_MAX_MS);
      this.#timer = setTimeout(() => this.dial(), wait);
      this.#timer.unref?.();
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#link?.close(1001, 'tracker shutting down');
  }
}

type LinkState = 'handshake' | 'proved' | 'live' | 'closed';

/** One authenticated WebSocket between two trackers. */
class Link {
  remoteId: string | undefined;
  onLive: (() => void) | undefined;
  onAuthFailed: ((why: string) => void) | undefined;
  #state: LinkState = 'handshake';
  /** The nonce this side sent (acceptor: the challenge; dialer: in auth). */
  #nonce = randomBytes(32).toString('hex');
  #theirNonce: string | undefined;
  #authTimer: ReturnType<typeof setTimeout>;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly bus: LinksBus,
    private readonly dialer: boolean,
  ) {
    this.#authTimer = setTimeout(() => this.#fail('no proof in time'), MESH_AUTH_TIMEOUT_MS);
    this.#authTimer.unref?.();
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', () => undefined); // followed by close
    ws.on('close', () => this.#onClose());
    ws.on('pong', () => (this.#alive = true));
    if (!dialer) this.send({ type: 'challenge', version: MESH_PROTOCOL_VERSION, nonce: this.#nonce });
  }

  get live(): boolean {
    return this.#state === 'live';
  }

  /** The other side proved it holds the secret (the link may be closed since). */
  get proved(): boolean {
    return this.remoteId !== undefined;
  }

  send(message: LinkMessage): void {
    this.#sendRaw(JSON.stringify(message));
  }

  sendOps(ops: readonly Op[]): void {
    this.bus.stats.opsSent += ops.length;
    this.send({ type: 'ops', ops: ops as never });
  }

  sendSync(): void {
    this.send({ type: 'sync', vv: this.bus.node.versionVector(), urls: this.bus.node.urls() });
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  #sendRaw(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  #fail(why: string): void {
    this.onAuthFailed?.(why);
    this.ws.close(CloseCode.MeshAuthFailed, 'mesh authentication failed');
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    try {
      if (this.#state === 'handshake') {
        // Before the proof only the handshake's own schemas are tried: no ops, presence or signals from strangers.
        const message = isBinary ? undefined : parseHandshakeMessage(data.toString());
        if (message) this.#handshake(message);
        else this.#fail('unreadable handshake');
        return;
      }
      const message = isBinary ? undefined : parseLinkMessage(data.toString());
      // A tracker that sends what we cannot read is broken or not ours: cut it.
      if (message) this.#onLiveMessage(message);
      else this.close(1003, 'unreadable message');
    } catch (err) {
      console.error(`mesh: link to ${this.remoteId ?? 'unknown'} failed:`, err);
      this.close(1011, 'internal error');
    }
  }

  #handshake(message: HandshakeMessage): void {
    const { secret, node } = this.bus;
    if (this.dialer && message.type === 'challenge') {
      if (message.version !== MESH_PROTOCOL_VERSION) {
        this.#fail(`mesh protocol ${message.version}, this tracker speaks ${MESH_PROTOCOL_VERSION}`);
        return;
      }
      this.#theirNonce = message.nonce;
      this.send({ type: 'auth', trackerId: node.trackerId, nonce: this.#nonce, proof: hmac(secret, 'dial', message.nonce, this.#nonce, node.trackerId) });
      return;
    }
    if (this.dialer && message.type === 'welcome' && this.#theirNonce) {
      if (!sameProof(message.proof, hmac(secret, 'accept', this.#nonce, this.#theirNonce, message.trackerId))) {
        this.#fail('the other tracker does not know the mesh secret');
        return;
      }
      this.#proved(message.trackerId);
      return;
    }
    if (!this.dialer && message.type === 'auth') {
      const expected = hmac(secret, 'dial', this.#nonce, message.nonce, message.trackerId);
      if (!sameProof(message.proof, expected) || message.trackerId === node.trackerId) {
        this.#fail(`a tracker calling itself ${message.trackerId} failed the mesh secret check`);
        return;
      }
      this.send({ type: 'welcome', trackerId: node.trackerId, proof: hmac(secret, 'accept', message.nonce, this.#nonce, node.trackerId) });
      this.#proved(message.trackerId);
      return;
    }
    this.#fail(`unexpected ${message.type} during the handshake`);
  }

  #proved(remoteId: string): void {
    clearTimeout(this.#authTimer);
    raiseMaxPayload(this.ws, MESH_MAX_FRAME_BYTES);
    this.remoteId = remoteId;
    this.#state = 'proved';
    this.bus.linkUp(this);
    this.#pingTimer = setInterval(() => {
      if (!this.#alive) {
        this.ws.terminate();
        return;
      }
      this.#alive = false;
      this.ws.ping();
    }, MESH_PING_MS);
    this.#pingTimer.unref?.();
    this.sendSync();
    this.send(this.bus.node.presenceSnapshot());
  }

  #onLiveMessage(message: LinkMessage): void {
    const node = this.bus.node;
    const from = this.remoteId!;
    switch (message.type) {
      case 'sync': {
        node.trackerUp(from, message.urls);
        this.#sendCatchUp(message.vv);
        if (this.#state === 'proved') {
          // From here on, live ops follow the catch-up on this socket, in order.
          this.#state = 'live';
          this.onLive?.();
        }
        return;
      }
      case 'ops':
        this.bus.stats.opsReceived += message.ops.length;
        node.receiveOps(message.ops, from).catch((err) => {
          console.error(`mesh: could not store ops from ${from}:`, err);
          this.close(1011, 'could not store ops');
        });
        return;
      case 'presence':
        node.receivePresence(message, from);
        return;
      case 'signal':
        node.receiveSignal(message);
        return;
      default:
        this.close(1002, `unexpected ${message.type}`);
    }
  }

  /** Streams what the other side lacks, in frames of about MESH_BATCH_BYTES. */
  #sendCatchUp(vv: Record<string, number>): void {
    let parts: string[] = [];
    let bytes = 0;
    let count = 0;
    const flush = () => {
      if (parts.length === 0) return;
      this.#sendRaw(`{"type":"ops","ops":[${parts.join(',')}]}`);
      this.bus.stats.opsSent += count;
      parts = [];
      bytes = 0;
      count = 0;
    };
    for (const op of this.bus.node.opsAfter(vv)) {
      if (op.origin === this.remoteId) continue; // it has its own ops: they were made there
      const text = JSON.stringify(op);
      parts.push(text);
      bytes += text.length;
      count++;
      if (bytes >= MESH_BATCH_BYTES) flush();
    }
    flush();
  }

  #onClose(): void {
    clearTimeout(this.#authTimer);
    clearInterval(this.#pingTimer);
    const wasUp = this.#state === 'proved' || this.#state === 'live';
    this.#state = 'closed';
    if (wasUp) this.bus.linkDown(this);
  }
}
