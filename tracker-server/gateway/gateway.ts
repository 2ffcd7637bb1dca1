/**
 * The WebSocket edge: one `Connection` per client. Everything is bounded
 * before a connection has logged in: frame size (ws maxPayload), message
 * rate (token bucket), time to say hello, bytes queued towards a slow reader.
 * A bad message gets an error reply and the connection lives on; only abuse
 * closes it, with a named close code.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  HELLO_TIMEOUT_MS,
  SERVER_HEARTBEAT_MS,
  MAX_FRAME_BYTES,
  MAX_QUEUED_BYTES,
  PROTOCOL_VERSION,
  RATE_BURST,
  RATE_PER_SECOND,
  UNAUTHENTICATED_TIMEOUT_MS,
} from '../../protocol/constants.ts';
import { CloseCode, ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { parseRequest, type Reply, type ReplyBody, type Request, type RequestType, type TrackerEvent, type IceServer } from '../../protocol/tracker.ts';
import { randomId } from '../auth.ts';
import type { ClientLink, TrackerCore } from '../core.ts';
import { handlers } from '../handlers/index.ts';
import type { Handler, HandlerContext } from '../handlers/context.ts';
import { LoginLimiter, TokenBucket } from '../limits.ts';
import { clientAddress } from './client-address.ts';
import { Admission, type AdmissionLimits } from './admission.ts';
import { stunUrl } from '../stun-server.ts';

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

/**
 * Presence and signaling: answered synchronously from soft state, never an
 * op. They are most of a tracker's traffic, so they skip the
 * AsyncLocalStorage scope that stamps a request's ops with its id (there are
 * none to stamp) and stay synchronous end to end.
 */
const SOFT_STATE_REQUESTS: ReadonlySet<RequestType> = new Set<RequestType>(['signal', 'announce', 'have', 'unannounce', 'get_holders', 'ice_servers', 'connection_outcome']);

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

  /** Hands an HTTP upgrade on /ws to a new connection. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Browsers always send Origin, so the list keeps other sites' pages from using a visitor's browser
    // against this tracker. A non-browser client sends none (or any it likes): refusing it would guard nothing.
    const origin = req.headers.origin;
    if (this.#allowedOrigins.size > 0 && origin !== undefined && !this.#allowedOrigins.has(origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Behind a trusted proxy, the client's own address (X-Forwarded-For): caps and limits count people, not the proxy.
    const address = clientAddress(req, this.core.config.trustProxy);
    const refused = this.admission.admit(address);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (refused) {
        // Upgraded only to say why with a named close code, then dropped: the client tries another tracker.
        this.stats.closedForAbuse++;
        ws.on('error', () => undefined);
        ws.close(refused === 'tracker_full' ? CloseCode.TrackerFull : CloseCode.TooManyFromAddress, refused.replace('_', ' '));
        setTimeout(() => ws.terminate(), 1000).unref();
        return;
      }
      this.#upgraded.add(socket);
      const stun =
        this.stunPort === undefined
          ? undefined
          : stunUrl({
              publicUrls: this.core.config.publicUrls,
              hostHeader: req.headers.host,
              boundHost: this.boundHost,
              localAddress: req.socket.localAddress,
              port: this.stunPort,
            });
      const conn = new Connection(ws, address, this, socket, stun);
      this.#connections.add(conn);
      this.#awaitingHello.add(conn);
      this.stats.connections = this.#connections.size;
    });
    // An upgrade that failed (a bad handshake) never reaches the callback: give its slot back.
    if (!refused) socket.once('close', () => this.#releaseIfUnused(socket, address));
  }

  /** Sockets whose upgrade became a Connection: those release their slot in `closed`. */
  #upgraded = new WeakSet<Duplex>();

  #releaseIfUnused(socket: Duplex, address: string): void {
    if (!this.#upgraded.has(socket)) this.admission.release(address);
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
    this.core.detach(conn);
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

/**
 * Sockets written to in this event-loop iteration, held corked until its
 * check phase: frames for one socket produced while the iteration handles
 * its reads (a reply and a relayed signal, several signals) leave in one
 * writev instead of one syscall each. On loopback a write costs ~6 µs of
 * kernel time, most of the tracker's cost per signal. The wait is bounded by
 * the rest of the iteration (setImmediate runs right after the poll phase).
 * process.nextTick would be too short a window: it closes after each socket
 * read, and the frames that share a socket come from reads of different
 * sockets (in bench/tracker no send shared a nextTick window with another to
 * its socket, against about a third of them sharing a loop iteration).
 */
const corked = new Set<Duplex>();
/**
 * Only small frames are held, and only while little is held: a big reply
 * (a file's metadata is up to ~700 KB) goes to the kernel at once, as it did
 * before corking. A writev completes as a whole, so holding several big
 * replies would keep them all counted as queued until the last byte is
 * taken, and a client that reads as fast as it can would be dropped as slow.
 */
const CORK_MAX_CHARS = 16 * 1024;
const CORK_MAX_BYTES = 64 * 1024;
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  // A destroyed socket ignores uncork; its buffered frames are dropped as a write to it would be.
  for (const socket of corked) socket.uncork();
  corked.clear();
}

function corkForThisIteration(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushCorked);
  }
}

/**
 * Hands a corked socket's frames to the kernel at once: the slow-reader
 * limit judges what the kernel would not take, as it did before corking, not
 * what this iteration has held back.
 */
function uncorkNow(socket: Duplex): void {
  if (corked.delete(socket)) socket.uncork();
}

export class Connection implements ClientLink {
  readonly peerId = randomId(12);
  readonly openedAt = Date.now();
  readonly watching = new Set<string>();
  #session: ClientLink['session'] = undefined;
  /** Until hello names the client instance, its request ids are this connection's alone. */
  requestScope = randomId(16);
  #helloDone = false;
  /** Set once we decide to close: frames already buffered are then ignored, not processed. */
  #closing = false;
  /** Something (a message, a pong) arrived since the last heartbeat round. */
  #heard = true;
  #bucket: TokenBucket;
  #ctx: HandlerContext;

  constructor(
    private readonly ws: WebSocket,
    readonly address: string,
    private readonly gateway: Gateway,
    /** The connection's TCP socket (the one `ws` writes to), corked per loop iteration. */
    private readonly socket: Duplex,
    /** This tracker's `stun:` URL as this connection should be told it (stun-server.ts `stunUrl`). */
    private readonly stunUrl?: string,
  ) {
    this.#bucket = new TokenBucket(RATE_PER_SECOND, RATE_BURST, this.openedAt);
    this.#ctx = { core: gateway.core, client: this, logins: gateway.logins };
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', () => {
      try {
        gateway.closed(this);
      } catch (err) {
        // Thrown inside ws's emitter it would reach the process; the connection is gone either way.
        console.error('tracker: cleaning up a closed connection failed:', err);
      }
    });
    ws.on('pong', () => (this.#heard = true));
    // A socket error is followed by close; without a listener it would take the process down.
    ws.on('error', () => undefined);
  }

  /** Our own STUN first: it is the one known to be there; operators' servers follow. */
  get iceServers(): IceServer[] {
    const configured = this.gateway.core.config.iceServers;
    return this.stunUrl ? [{ urls: this.stunUrl }, ...configured] : configured;
  }

  get session(): ClientLink['session'] {
    return this.#session;
  }
  /** Set by core.signIn/signOut; the gateway's login deadline follows it. */
  set session(session: ClientLink['session']) {
    this.#session = session;
    this.gateway.sessionChanged(this);
  }

  send(message: Reply | TrackerEvent): void {
    this.#sendText(JSON.stringify(message));
  }

  #sendText(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_QUEUED_BYTES) {
      uncorkNow(this.socket);
      if (this.ws.bufferedAmount > MAX_QUEUED_BYTES) {
        this.abuse(CloseCode.SlowConsumer, 'too much unread data');
        return;
      }
    }
    if (text.length <= CORK_MAX_CHARS && this.ws.bufferedAmount <= CORK_MAX_BYTES) corkForThisIteration(this.socket);
    else uncorkNow(this.socket);
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.#closing = true;
    this.ws.close(code, reason);
  }

  /**
   * One heartbeat round: a connection that answered nothing since the last
   * round (a browser that vanished without closing) is ended, so its presence
   * goes; the others get a ping, which browsers answer on their own.
   */
  heartbeat(): void {
    if (!this.#heard) {
      this.#closing = true;
      this.ws.terminate();
      return;
    }
    this.#heard = false;
    this.ws.ping();
  }

  abuse(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.gateway.stats.closedForAbuse++;
    this.ws.close(code, reason);
    // Do not wait for a hostile peer's closing handshake.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /**
   * The guard around parsing and dispatch: nothing thrown while handling a
   * frame escapes into ws's emitter (where it would be an uncaught exception
   * and stop the process). The request is answered `internal` when its id is
   * known, and the connection lives on.
   */
  #onMessage(data: RawData, isBinary: boolean): void {
    try {
      this.#handleFrame(data, isBinary);
    } catch (err) {
      console.error('tracker: handling a frame failed:', err);
      try {
        this.#reply({ id: null, ok: false, error: { code: ErrorCode.Internal, message: 'the tracker failed to handle that message' } });
      } catch {
        /* the socket is gone */
      }
    }
  }

  #handleFrame(data: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    this.#heard = true;
    if (!this.#bucket.take(Date.now())) {
      this.abuse(CloseCode.Flood, 'too many messages');
      return;
    }
    if (isBinary) {
      this.#reply({ id: null, ok: false, error: { code: ErrorCode.BadJson, message: 'binary frames are not accepted; send JSON text' } });
      return;
    }
    const parsed = parseRequest(data.toString());
    if (!parsed.ok) {
      this.#reply({ id: parsed.id, ok: false, error: parsed.error });
      return;
    }
    this.#dispatch(parsed.request);
  }

  /**
   * Runs a request and replies. A handler that answers synchronously (signal,
   * presence, queries) is replied to at once, with no promise or microtask
   * in between: that is most of the traffic, and the hot path of a tracker.
   */
  #dispatch(request: Request): void {
    this.gateway.stats.requests++;
    try {
      const body =
        request.type === 'hello' ? this.#hello(request.protocol, request.client) : request.type === 'ping' ? {} : this.#handle(request);
      if (body instanceof Promise) {
        body
          .then(
            (b: object) => this.#replyOk(request.id, b),
            (err: unknown) => this.#failed(request, err),
          )
          // A reply that could not be sent must not become an unhandled rejection (which stops the process).
          .catch((err: unknown) => console.error(`tracker: replying to ${request.type} failed:`, err));
      } else {
        // Counted here, once the relay succeeded: /metrics reports signals relayed, not attempted.
        if (request.type === 'signal') this.gateway.stats.signalsRelayed++;
        this.#replyOk(request.id, body);
      }
    } catch (err) {
      this.#failed(request, err);
    }
  }

  #failed(request: Request, err: unknown): void {
    if (err instanceof MeshdropError) {
      this.#reply({ id: request.id, ok: false, error: { code: err.code, message: err.message } });
    } else {
      console.error(`tracker: ${request.type} failed:`, err);
      this.#reply({ id: request.id, ok: false, error: { code: ErrorCode.Internal, message: 'the tracker failed to do that; try again' } });
    }
  }

  #handle(request: Exclude<Request, { type: 'hello' | 'ping' }>): Promise<object> | object {
    if (!this.#helloDone) throw new MeshdropError(ErrorCode.HelloFirst, 'say hello first');
    const handler = handlers[request.type] as Handler<typeof request.type>;
    // Soft state makes no op, so there is nothing to dedupe: straight to the handler.
    if (SOFT_STATE_REQUESTS.has(request.type)) return handler(this.#ctx, request as never) as object;
    // Request ids dedupe retries across failover (request-ledger.ts).
    return this.gateway.core.handleRequest(this, request, () => handler(this.#ctx, request as never) as Promise<object> | object);
  }

  #hello(protocol: number, clientSecret: string | undefined): ReplyBody<'hello'> {
    if (this.#helloDone) throw new MeshdropError(ErrorCode.HelloFirst, 'hello was already said');
    if (protocol !== PROTOCOL_VERSION) {
      throw new MeshdropError(ErrorCode.VersionMismatch, `this tracker speaks protocol ${PROTOCOL_VERSION}, not ${protocol}; reload the page`);
    }
    this.#helloDone = true;
    if (clientSecret !== undefined) this.requestScope = clientSecret;
    this.gateway.helloDone(this);
    this.gateway.core.attach(this);
    const { config } = this.gateway.core;
    return {
      trackerId: config.trackerId,
      peerId: this.peerId,
      trackers: config.publicUrls.length ? config.publicUrls : this.gateway.boundUrl ? [this.gateway.boundUrl] : [],
      iceServers: this.iceServers,
    };
  }

  #reply(reply: Reply): void {
    this.send(reply);
  }

  /**
   * Most replies (signal, presence) have an empty body: their text is built
   * directly, the same bytes JSON.stringify({ id, ok: true }) gives, without
   * the spread copy and the generic serialiser on every signal.
   */
  #replyOk(id: string, body: object): void {
    for (const key in body) {
      if (Object.hasOwn(body, key)) {
        this.#reply({ id, ok: true, ...body });
        return;
      }
    }
    this.#sendText(`{"id":${JSON.stringify(id)},"ok":true}`);
  }
}
