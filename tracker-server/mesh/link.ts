/**
 * One authenticated WebSocket between two trackers (links.ts holds the bus
 * and its dialers): the HMAC handshake, then sync, catch-up and the live
 * messages, and a ping to notice a link that went silent.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { CloseCode } from '../../protocol/errors.ts';
import {
  MESH_AUTH_TIMEOUT_MS,
  MESH_BATCH_BYTES,
  MESH_MAX_FRAME_BYTES,
  MESH_PING_MS,
  MESH_PROTOCOL_VERSION,
  parseHandshakeMessage,
  parseLinkMessage,
  type HandshakeMessage,
  type LinkMessage,
} from '../../protocol/mesh.ts';
import type { Op } from '../../protocol/ops.ts';
import type { LinksBus } from './links.ts';
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

type LinkState = 'handshake' | 'proved' | 'live' | 'closed';

/** One authenticated WebSocket between two trackers. */
export class Link {
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
