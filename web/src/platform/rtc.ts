/**
 * PeerConnector for the browser: one RTCPeerConnection and one data channel
 * per peer through @thaunknown/simple-peer (lite: data only), its signals
 * (offer, answer, trickled candidates) carried by the tracker.
 *
 * ICE servers are exactly what the tracker's hello listed, none by default:
 * simple-peer's own default points at public STUN servers, so `iceServers`
 * is always passed, even when empty, and nothing is contacted outside the
 * machine or LAN unless a deployment configures it.
 */
import Peer from '@thaunknown/simple-peer/lite.js';
import type { PeerChannel, PeerConnector } from '../../../client/ports.ts';
import { pathOfStats, type ConnectionPath, type StatsEntry } from '../../../client/connection-path.ts';
import { CONNECT_TIMEOUT_MS, SEND_LOW_WATER_BYTES } from '../../../protocol/constants.ts';
import type { IceServer } from '../../../protocol/tracker.ts';

/**
 * Closing waits this long for the data channel's closing handshake before the
 * whole connection is torn down. Tearing it down at once (simple-peer's
 * destroy closes the channel and the connection in one go) can leave the
 * other side unaware for a long time: it keeps a dead link, and refuses a new
 * connection from the same peer as "already connected".
 */
export const CLOSE_GRACE_MS = 2_000;

/**
 * A connection whose ICE state stays 'disconnected' this long is treated as
 * gone: that is what the other side's tab closing looks like when its close
 * never arrived. A real blip on a LAN recovers well within it.
 */
export const DISCONNECTED_GRACE_MS = 10_000;

export class BrowserPeerConnector implements PeerConnector {
  /** Channels opened so far (the bench and tests read their counters). */
  readonly channels = new Set<RtcPeerChannel>();

  connect(options: { initiator: boolean; iceServers: IceServer[]; sendSignal: (data: unknown) => void }) {
    const peer = new Peer({
      initiator: options.initiator,
      trickle: true,
      config: { iceServers: options.iceServers.map((s) => ({ ...s })) },
      channelConfig: { ordered: true },
    });
    peer.on('signal', (data) => {
      try {
        options.sendSignal(data);
      } catch {
        // The tracker connection is down; the connect timeout decides.
      }
    });
    let opened: RtcPeerChannel | undefined;
    const channel = new Promise<PeerChannel>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the peer connection did not open in time')), CONNECT_TIMEOUT_MS);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        peer.destroy();
        reject(err);
      };
      peer.on('error', (err) => fail(err));
      peer.on('close', () => fail(new Error('the peer connection closed before it opened')));
      peer.on('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const ch = new RtcPeerChannel(peer);
        opened = ch;
        this.channels.add(ch);
        ch.closed.then(() => this.channels.delete(ch));
        resolve(ch);
      });
    });
    // An unobserved rejection would surface as an error in the page console.
    channel.catch(() => undefined);
    return {
      signal(data: unknown) {
        if (peer.destroyed) return;
        try {
          peer.signal(data);
        } catch {
          // A malformed signal from the other side: the connection fails by timeout, nothing else breaks.
        }
      },
      channel,
      destroy() {
        // An open channel closes gracefully, so the other side hears of it.
        if (opened) opened.close();
        else peer.destroy();
      },
    };
  }
}

/**
 * A PeerChannel over a connected simple-peer: real bufferedAmount, drain on
 * `bufferedamountlow`.
 *
 * Frames can arrive before the swarm has set `onFrame`: simple-peer reports
 * 'connect' only after its stats poll, and by then the other side, already
 * open, may have sent its handshake. Such frames are queued and handed over
 * when `onFrame` is set, in order; a close seen before `onClose` is set is
 * reported when it is. Nothing is lost to the order in which callbacks are set.
 */
export class RtcPeerChannel implements PeerChannel {
  /** Bytes sent and received on this channel, for the bench and tests. */
  bytesSent = 0;
  bytesReceived = 0;
  readonly closed: Promise<void>;
  readonly #peer: Peer;
  readonly #dc: RTCDataChannel;
  #isClosed = false;
  #drainWaiters: (() => void)[] = [];
  #onFrame: ((frame: Uint8Array) => void) | null = null;
  #onClose: (() => void) | null = null;
  #early: Uint8Array[] = [];
  #closing = false;

  constructor(peer: Peer) {
    this.#peer = peer;
    this.#dc = peer._channel!;
    // simple-peer sets 64 KiB; ours says when a sender may go on (see SEND_LOW_WATER_BYTES).
    this.#dc.bufferedAmountLowThreshold = SEND_LOW_WATER_BYTES;
    // A listener beside simple-peer's own `onbufferedamountlow` property.
    this.#dc.addEventListener('bufferedamountlow', () => this.#wake());
    let closed!: () => void;
    this.closed = new Promise((r) => (closed = r));
    // Frames come straight from the channel's message events, not through
    // simple-peer's stream ('data' events): that path cost a stream push, a
    // microtask and a buffer wrap per 64 KiB block (docs/transfer-profile.md).
    // Whatever simple-peer had already taken in before this constructor ran
    // still arrives through its stream, first, in order.
    peer.on('data', (data: Uint8Array) => this.#receive(data));
    this.#dc.binaryType = 'arraybuffer';
    this.#dc.onmessage = (ev: MessageEvent) => {
      // A text message is no frame: its bytes go to the decoder, which refuses them (as through simple-peer).
      this.#receive(ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : new TextEncoder().encode(String(ev.data)));
    };
    const onEnd = () => {
      if (this.#isClosed) return;
      this.#isClosed = true;
      this.#wake();
      closed();
      this.#onClose?.();
    };
    peer.on('close', onEnd);
    peer.on('error', onEnd);
    // The channel's own close, not only simple-peer's report of it.
    this.#dc.addEventListener('close', () => {
      onEnd();
      peer.destroy();
    });
    // The other side gone without a close reaching us: ICE says so, sooner or later.
    const pc = peer._pc;
    let disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
    pc?.addEventListener('iceconnectionstatechange', () => {
      clearTimeout(disconnectedTimer);
      if (pc.iceConnectionState === 'disconnected') disconnectedTimer = setTimeout(() => peer.destroy(), DISCONNECTED_GRACE_MS);
    });
    pc?.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') peer.destroy();
    });
    void this.closed.then(() => clearTimeout(disconnectedTimer));
  }

  get onFrame(): ((frame: Uint8Array) => void) | null {
    return this.#onFrame;
  }
  set onFrame(handler: ((frame: Uint8Array) => void) | null) {
    this.#onFrame = handler;
    if (!handler || this.#early.length === 0) return;
    const early = this.#early;
    this.#early = [];
    for (const frame of early) this.#deliver(handler, frame);
  }

  get onClose(): (() => void) | null {
    return this.#onClose;
  }
  set onClose(handler: (() => void) | null) {
    this.#onClose = handler;
    if (handler && this.#isClosed) queueMicrotask(() => this.#onClose === handler && handler());
  }

  get bufferedAmount(): number {
    return this.#isClosed ? 0 : this.#dc.bufferedAmount;
  }

  /** The ICE servers this connection was made with (tests check that none is added by default). */
  get iceServers(): RTCIceServer[] {
    return this.#peer._pc?.getConfiguration().iceServers ?? [];
  }

  /** Direct or relayed, from the selected candidate pair in getStats (client/connection-path.ts). */
  async path(): Promise<ConnectionPath | undefined> {
    const pc = this.#peer._pc;
    if (!pc || this.#isClosed) return undefined;
    const report = await pc.getStats();
    return pathOfStats([...report.values()] as StatsEntry[]);
  }

  send(frame: Uint8Array): void {
    if (this.#isClosed || this.#closing) return;
    this.bytesSent += frame.byteLength;
    try {
      this.#dc.send(frame as Uint8Array<ArrayBuffer>);
    } catch {
      // The channel closed under us: 'close' follows and tells the swarm.
      this.#peer.destroy();
    }
  }

  drained(): Promise<void> {
    if (this.#isClosed || this.#dc.bufferedAmount <= SEND_LOW_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Closes the channel with its closing handshake, then the connection (see CLOSE_GRACE_MS). */
  close(): void {
    if (this.#closing || this.#isClosed) return;
    this.#closing = true;
    try {
      this.#dc.close();
    } catch {
      /* already closing */
    }
    const timer = setTimeout(() => this.#peer.destroy(), CLOSE_GRACE_MS);
    void this.closed.then(() => {
      clearTimeout(timer);
      this.#peer.destroy();
    });
  }

  #receive(data: Uint8Array): void {
    if (this.#isClosed) return;
    this.bytesReceived += data.byteLength;
    if (this.#onFrame) this.#deliver(this.#onFrame, data);
    else this.#early.push(data);
  }

  #deliver(handler: (frame: Uint8Array) => void, frame: Uint8Array): void {
    try {
      handler(frame);
    } catch (err) {
      // A bug in a frame handler must not take the connection down silently.
      console.error('meshdrop: frame handler failed', err);
    }
  }

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
}
