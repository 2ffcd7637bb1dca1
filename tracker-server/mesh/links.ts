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
 * link to it closes. A dialer redials with backoff, forever. One link's
 * handshake and messages are link.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/errors.ts';
import {
  MESH_AUTH_TIMEOUT_MS,
  MESH_HANDSHAKE_MAX_FRAME_BYTES,
  MESH_MAX_ACCEPTED_LINKS,
  MESH_MAX_PENDING_LINKS,
  MESH_RECONNECT_MAX_MS,
  MESH_RECONNECT_MIN_MS,
  type PresenceMessage,
  type SignalMessage,
} from '../../protocol/mesh.ts';
import type { Op } from '../../protocol/ops.ts';
import type { Bus, BusStats, MeshNode } from './bus.ts';
import { Link } from './link.ts';

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

