/**
 * The WebSocket edge: one `Connection` per client (connection.ts). Everything is bounded
 * before a connection has logged in: frame size (ws maxPayload), message
 * rate (token bucket), time to say hello, bytes queued towards a slow reader.
 * A bad message gets an error reply and the connection lives on; only abuse
 * closes it, with a named close code.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HELLO_TIMEOUT_MS, SERVER_HEARTBEAT_MS, MAX_FRAME_BYTES, UNAUTHENTICATED_TIMEOUT_MS } from '../../protocol/constants.ts';
import { CloseCode } from '../../protocol/errors.ts';
import type { TrackerCore } from '../core.ts';
import { LoginLimiter } from '../limits.ts';
import { clientAddress } from './client-address.ts';
import { Connection } from './connection.ts';
import { Admission, type AdmissionLimits } from './admission.ts';
import { stunUrl } from '../stun-server.ts';
import { pageOriginOf } from '../app-url.ts';

/** Defaults of --max-connections and --max-connections-per-address (see config.ts for the reasons). */
export const DEFAULT_ADMISSION: AdmissionLimits = { total: 10_000, perAddress: 100 };

export interface GatewayOptions {
  /** Connection caps, in all and per address. */
  admission?: AdmissionLimits;
  /** Origins a browser may open /ws from (exact `scheme://host[:port]`); empty: any. */
  allowedOrigins?: readonly string[];
  /** How long a connection may stay after hello without logging in (default UNAUTHENTICATED_TIMEOUT_MS). */
  unauthenticatedTimeoutMs?: number;
}

export interface GatewayStats {
  connections: number;
  requests: number;
  signalsRelayed: number;
  closedForAbuse: number;
}

export class Gateway {
  readonly stats: GatewayStats = { connections: 0, requests: 0, signalsRelayed: 0, closedForAbuse: 0 };
  readonly logins = new LoginLimiter();
  readonly admission: Admission;
  /**
   * The /ws URL this tracker knows it is bound to (set once listening, on a
   * specific address), named in hello when no --public-url is configured.
   * Never built from the request's Host header, which the client chooses.
   */
  boundUrl: string | undefined;
  /** The web app's public address from --public-url (app-url.ts), named in hello for links; set by server.ts. */
  appUrl: string | undefined;
  /** The UDP port of this tracker's STUN responder (stun-server.ts), set by server.ts; undefined: off. */
  stunPort: number | undefined;
  /** The address the HTTP server is bound to (--host), set by server.ts. */
  boundHost = '0.0.0.0';
  #allowedOrigins: ReadonlySet<string>;
  #unauthenticatedTimeoutMs: number;
  /** Connections that said hello and hold no session, with the time since when. */
  #awaitingLogin = new Map<Connection, number>();
  #wss: WebSocketServer;
  #connections = new Set<Connection>();
  /** Connections still owing a hello, swept once a second rather than a timer each. */
  #awaitingHello = new Set<Connection>();
  #sweep: NodeJS.Timeout;
  #heartbeat: NodeJS.Timeout;

  constructor(
    readonly core: TrackerCore,
    private readonly helloTimeoutMs = HELLO_TIMEOUT_MS,
    heartbeatMs = SERVER_HEARTBEAT_MS,
    options: GatewayOptions = {},
  ) {
    this.admission = new Admission(options.admission ?? DEFAULT_ADMISSION);
    this.#allowedOrigins = new Set(options.allowedOrigins ?? []);
    this.#unauthenticatedTimeoutMs = options.unauthenticatedTimeoutMs ?? UNAUTHENTICATED_TIMEOUT_MS;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      // Compression costs ~300 KB of zlib state per connection; JSON this small gains little from it.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#sweep = setInterval(() => this.#sweepIdle(), Math.min(1000, helloTimeoutMs / 2, this.#unauthenticatedTimeoutMs / 2));
    this.#sweep.unref();
    this.#heartbeat = setInterval(() => {
      for (const conn of this.#connections) conn.heartbeat();
    }, heartbeatMs);
    this.#heartbeat.unref();
  }

  /**
   * Whether a page of this origin may open /ws: any when no list is set.
   * With a list, a listed origin, or the page of any tracker of this mesh
   * (the origin of one of its public URLs, this tracker's own and those
   * learned from the others): its people's pages fail over to this tracker,
   * and an operator who lists only the proxy in front must not cut that off.
   */
  #originAllowed(origin: string): boolean {
    if (this.#allowedOrigins.size === 0 || this.#allowedOrigins.has(origin)) return true;
    const ofTracker = (url: string | undefined) => url !== undefined && pageOriginOf(url) === origin;
    return this.core.config.publicUrls.some(ofTracker) || ofTracker(this.boundUrl);
  }

  /** Hands an HTTP upgrade on /ws to a new connection. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Browsers always send Origin, so the list keeps other sites' pages from using a visitor's browser
    // against this tracker. A non-browser client sends none (or any it likes): refusing it would guard nothing.
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#originAllowed(origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Behind a trusted proxy, the client's own address (X-Forwarded-For): caps and limits count people, not the proxy.
    const address = clientAddress(req, this.core.config.trustProxy);
    const refused = this.admission.admit(address);
    // An upgrade that failed (a bad handshake) never reaches the callback: give its slot back. Registered
    // from a function of its own: a closure made here would share this scope's context with the
    // callback below, which reads `req`, and so keep the whole request (headers, raw headers, its
    // stream state) alive as long as the socket, about half a KiB per idle peer (bench/tracker-heap.ts).
    const releaseUnused = refused ? undefined : this.#releaseOnClose(socket, address);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (refused) {
        // Upgraded only to say why with a named close code, then dropped: the client tries another tracker.
        this.stats.closedForAbuse++;
        ws.on('error', () => undefined);
        ws.close(refused === 'tracker_full' ? CloseCode.TrackerFull : CloseCode.TooManyFromAddress, refused.replace('_', ' '));
        setTimeout(() => ws.terminate(), 1000).unref();
        return;
      }
      // A connection now: `closed` gives its slot back.
      if (releaseUnused) socket.off('close', releaseUnused);
      const stun =
        this.stunPort === undefined
          ? undefined
          : this.#shared(stunUrl({
              publicUrls: this.core.config.publicUrls,
              hostHeader: req.headers.host,
              boundHost: this.boundHost,
              // Read only when the URL needs it: reading it makes node keep the socket's address object.
              get localAddress() {
                return req.socket.localAddress;
              },
              port: this.stunPort,
            }));
      const conn = new Connection(ws, address, this, socket, stun);
      this.#connections.add(conn);
      this.#awaitingHello.add(conn);
      this.stats.connections = this.#connections.size;
    });
  }

  /** Each connection's STUN URL is nearly always the same text: one string kept, not one per connection. */
  #stunUrls = new Map<string, string>();
  #shared(url: string | undefined): string | undefined {
    if (url === undefined) return undefined;
    const known = this.#stunUrls.get(url);
    if (known !== undefined) return known;
    // Bounded: a Host header chosen by clients could otherwise grow it (one per public URL is all it needs).
    if (this.#stunUrls.size < 64) this.#stunUrls.set(url, url);
    return url;
  }

  /** Gives the slot back when the socket closes before it became a connection; returns the listener, to remove at the upgrade. */
  #releaseOnClose(socket: Duplex, address: string): () => void {
    const release = () => this.admission.release(address);
    socket.once('close', release);
    return release;
  }

  helloDone(conn: Connection): void {
    this.#awaitingHello.delete(conn);
    if (!conn.session) this.#awaitingLogin.set(conn, Date.now());
  }

  /** A connection's session changed: without one (after hello), the login deadline runs again. */
  sessionChanged(conn: Connection): void {
    if (conn.session || !this.#connections.has(conn) || this.#awaitingHello.has(conn)) this.#awaitingLogin.delete(conn);
    else if (!this.#awaitingLogin.has(conn)) this.#awaitingLogin.set(conn, Date.now());
  }

  closed(conn: Connection): void {
    if (!this.#connections.delete(conn)) return;
    this.#awaitingHello.delete(conn);
    this.#awaitingLogin.delete(conn);
    this.admission.release(conn.address);
    this.stats.connections = this.#connections.size;
    this.core.clients.detach(conn);
  }

  #sweepIdle(): void {
    const now = Date.now();
    for (const conn of this.#awaitingHello) {
      if (now - conn.openedAt > this.helloTimeoutMs) conn.abuse(CloseCode.HelloTimeout, 'no hello in time');
    }
    for (const [conn, since] of this.#awaitingLogin) {
      if (now - since > this.#unauthenticatedTimeoutMs) {
        this.#awaitingLogin.delete(conn);
        conn.abuse(CloseCode.LoginTimeout, 'no login in time');
      }
    }
    this.logins.sweep();
  }

  /** Closes every connection (tracker shutting down: clients move to another tracker). */
  close(): void {
    clearInterval(this.#sweep);
    clearInterval(this.#heartbeat);
    for (const conn of this.#connections) conn.close(CloseCode.GoingAway, 'tracker shutting down');
    this.#wss.close();
  }
}

