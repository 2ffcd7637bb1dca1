/**
 * One client's WebSocket: its rate bucket, heartbeat, slow-reader limit and
 * the guard around each frame. A frame is parsed at the edge
 * (`parseRequest`) and the typed request runs through the request pipeline
 * (pipeline.ts, as the request table says); this class only answers hello
 * and sends the reply. Nothing thrown while handling a frame escapes.
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { MAX_QUEUED_BYTES, PROTOCOL_VERSION, RATE_BURST, RATE_PER_SECOND } from '../../protocol/constants.ts';
import { CloseCode, ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { parseRequest, type Reply, type ReplyBody, type Request, type TrackerEvent, type IceServer } from '../../protocol/tracker.ts';
import { randomId } from '../auth.ts';
import type { ClientLink } from '../core.ts';
import type { HandlerContext } from '../handlers/context.ts';
import type { SignalsResult } from '../handlers/signals.ts';
import { TokenBucket } from '../limits.ts';
import { contextFor, runRequest, type RequestEdge } from '../pipeline.ts';
import { CORK_MAX_BYTES, CORK_MAX_CHARS, corkForThisIteration, uncorkNow } from './cork.ts';
import { withEventSlots } from './event-slots.ts';
import type { Gateway } from './gateway.ts';
import type { Few } from '../few.ts';

/**
 * The connection a socket belongs to, for the listeners below: one function
 * each for every connection, not four closures per connection (an idle peer
 * is mostly such small objects; bench/tracker-heap.ts).
 */
const CONNECTION = Symbol('meshdrop connection');
type Owned = WebSocket & { [CONNECTION]: Connection };
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as Owned)[CONNECTION].onMessage(data, isBinary);
}
function onClose(this: WebSocket): void {
  (this as Owned)[CONNECTION].onClose();
}
function onPong(this: WebSocket): void {
  (this as Owned)[CONNECTION].heard = true;
}
// A socket error is followed by close; without a listener it would take the process down.
function onError(): void {}

export class Connection implements ClientLink, RequestEdge {
  readonly peerId = randomId(12);
  readonly openedAt = Date.now();
  watching: Few<string> = undefined;
  #session: ClientLink['session'] = undefined;
  /** Hello's client secret; until it names one (or without), a random scope of this connection's, made when first asked for. */
  #requestScope: string | undefined;
  #helloDone = false;
  /** Set once we decide to close: frames already buffered are then ignored, not processed. */
  #closing = false;
  /** Something (a message, a pong) arrived since the last heartbeat round. */
  heard = true;
  #bucket: TokenBucket;
  /** The handler context of this connection's requests that make no op (pipeline.ts). */
  readonly context: HandlerContext;

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
    this.context = contextFor(gateway.core, this, gateway.logins);
    (ws as Owned)[CONNECTION] = this;
    withEventSlots(ws);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('pong', onPong);
    ws.on('error', onError);
  }

  /** Until hello names the client instance, its request ids are this connection's alone. */
  get requestScope(): string {
    return (this.#requestScope ??= randomId(16));
  }

  /** The socket closed (ws's `close`). */
  onClose(): void {
    try {
      this.gateway.closed(this);
    } catch (err) {
      // Thrown inside ws's emitter it would reach the process; the connection is gone either way.
      console.error('tracker: cleaning up a closed connection failed:', err);
    }
  }

  /** Our own STUN first: it is the one known to be there; operators' servers follow. */
  get iceServers(): IceServer[] {
    const configured = this.gateway.core.config.iceServers;
    return this.stunUrl ? [{ urls: this.stunUrl }, ...configured] : configured;
  }

  get helloDone(): boolean {
    return this.#helloDone;
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

  sendText(text: string): void {
    this.#sendText(text);
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
    if (!this.heard) {
      this.#closing = true;
      this.ws.terminate();
      return;
    }
    this.heard = false;
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
  onMessage(data: RawData, isBinary: boolean): void {
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
    this.heard = true;
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
    // A frame of signals costs a token per signal: batching saves frames, not the rate limit.
    if (parsed.request.type === 'signals' && !this.#bucket.take(Date.now(), parsed.request.signals.length - 1)) {
      this.abuse(CloseCode.Flood, 'too many messages');
      return;
    }
    this.#dispatch(parsed.request);
  }

  /**
   * Runs a request through the pipeline and replies. A handler that answers
   * synchronously (signal, presence, queries) is replied to at once, with no
   * promise or microtask in between: that is most of the traffic, and the
   * hot path of a tracker.
   */
  #dispatch(request: Request): void {
    this.gateway.stats.requests++;
    try {
      const body = runRequest(this, request);
      if (body instanceof Promise) {
        body
          .then(
            (b: object) => this.#replyOk(request.id, b),
            (err: unknown) => this.#failed(request, err),
          )
          // A reply that could not be sent must not become an unhandled rejection (which stops the process).
          .catch((err: unknown) => console.error(`tracker: replying to ${request.type} failed:`, err));
      } else if (request.type === 'signals') {
        // Answered only for what was refused, each under its own id (handlers/signals.ts).
        const { refused } = body as SignalsResult;
        this.gateway.stats.signalsRelayed += request.signals.length - refused.length;
        for (const r of refused) this.#reply({ id: r.id, ok: false, error: r.error });
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

  /** Hello (the request table's `connection` entry): protocol check, the client's secret, the tracker's names. */
  hello(protocol: number, clientSecret: string | undefined): ReplyBody<'hello'> {
    if (this.#helloDone) throw new MeshdropError(ErrorCode.HelloFirst, 'hello was already said');
    if (protocol !== PROTOCOL_VERSION) {
      throw new MeshdropError(ErrorCode.VersionMismatch, versionMismatchMessage(protocol));
    }
    this.#helloDone = true;
    if (clientSecret !== undefined) this.#requestScope = clientSecret;
    this.gateway.helloDone(this);
    this.gateway.core.clients.attach(this);
    const { config } = this.gateway.core;
    return {
      trackerId: config.trackerId,
      ...(config.name !== undefined ? { name: config.name } : {}),
      peerId: this.peerId,
      trackers: config.publicUrls.length ? config.publicUrls : this.gateway.boundUrl ? [this.gateway.boundUrl] : [],
      iceServers: this.iceServers,
      ...(this.gateway.appUrl ? { appUrl: this.gateway.appUrl } : {}),
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

/**
 * What a client of another protocol version is told (and shows as it is):
 * which versions, which side is older, what to do. An old page or command
 * line is the usual case after a tracker upgrade.
 */
export function versionMismatchMessage(protocol: number): string {
  const what = protocol < PROTOCOL_VERSION
    ? 'this page or program is older than the tracker: reload the page, or update meshdrop'
    : 'the tracker is older than this page or program: its operator has to update it';
  return `this tracker speaks protocol ${PROTOCOL_VERSION}, not ${protocol}; ${what}`;
}
