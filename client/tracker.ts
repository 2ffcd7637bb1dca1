/**
 * The client's connection to the trackers: typed requests with one reply
 * each, pushed events, and failover. Runtime-neutral: the platform hands in a
 * socket factory (browser WebSocket, or `ws` in Node).
 *
 * When the tracker goes away the client moves to the next one it knows (the
 * hello reply lists them all), resumes its session with its token,
 * re-announces what it holds, and re-sends requests that were in flight with
 * the same ids, so a tracker that already applied one answers it from its
 * memory instead of applying it twice.
 *
 * Apart: its types (tracker-types.ts), the liveness check
 * (tracker-liveness.ts) and the session's ICE servers (tracker-ice.ts).
 * Over 400 lines (about 520): what is left is one job, one connection's life
 * (the hello/resume handshake, requests in flight re-sent across failover,
 * replies and events parsed at the edge), and split further that one story
 * would be spread over files.
 */
import {
  CLIENT_BUSY_PING_TIMEOUT_MS,
  CLIENT_IDLE_PING_MS,
  CLIENT_PING_TIMEOUT_MS,
  CLIENT_REQUEST_PING_MS,
  PROTOCOL_VERSION,
} from '../protocol/constants.ts';
import { CloseCode, ErrorCode, MeshdropError } from '../protocol/errors.ts';
import type { Bitfield } from '../protocol/bitfield.ts';
import { TrackerEventSchema } from '../protocol/events.ts';
import { describeIssue, parseReplyBody, ReplyEnvelope, type IceServer, type ReplyBodies } from '../protocol/replies.ts';
import type { RequestType } from '../protocol/tracker.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './random-id.ts';
import type { SocketFactory, SocketLike } from './ports.ts';
import { Liveness } from './tracker-liveness.ts';
import type { ConnectionStatus, Pending, RequestBody, TrackerClientEvents, TrackerClientOptions } from './tracker-types.ts';
import { SessionIce } from './tracker-ice.ts';
import { QuietSignals } from './tracker-signals.ts';
import { readTrackerFrame } from '../protocol/signals-frame.ts';

export type { ConnectionStatus, RequestBody, TrackerClientEvents, TrackerClientOptions } from './tracker-types.ts';

export class TrackerClient extends Emitter<TrackerClientEvents> {
  #urls: string[];
  #urlIndex = 0;
  #createSocket: SocketFactory;
  #timeoutMs: number;
  #baseDelay: number;
  #socket: SocketLike | undefined;
  /** Ends the connection attempt on its way, if any (close() calls it). */
  #abortAttempt: ((err: Error) => void) | undefined;
  #status: ConnectionStatus = 'idle';
  #pending = new Map<string, Pending>();
  /** Frames sent (requests and signal frames), counted: a reply says every frame before its request's was handled. */
  #frameSeq = 0;
  /** The liveness ping awaiting its reply, numbered among the frames. */
  #ping: { id: string; seq: number } | undefined;
  readonly #signals = new QuietSignals({
    send: (text) => {
      if (this.#status !== 'connected' || !this.#socket) return false;
      this.#socket.send(text);
      return true;
    },
    nextSeq: () => ++this.#frameSeq,
    timeoutMs: () => this.#timeoutMs,
  });
  /**
   * This client instance's secret, sent in every hello: the tracker scopes
   * request ids to it, so a retry after failover is recognised as ours and
   * nobody else's request can be answered with our reply (mesh/dedupe.ts).
   */
  #secret = randomId(43);
  #token: string | undefined;
  #userId: string | undefined;
  #peerId: string | undefined;
  #trackerId: string | undefined;
  #trackerName: string | undefined;
  /** The trackers the last hello listed (the mesh as that tracker knows it now), apart from those this client brought. */
  #helloTrackers: readonly string[] = [];
  #appUrl: string | undefined;
  /** Hello's ICE servers, or the session's with TURN, refreshed before the credential expires (client/tracker-ice.ts). */
  readonly #ice = new SessionIce({
    refresh: () => this.request('ice_servers', {}),
    signedIn: () => this.#token !== undefined,
    closed: () => this.#status === 'closed',
  });
  #url: string | undefined;
  /** What we hold, re-announced after every reconnection. */
  #announced = new Map<string, Bitfield>();
  #connecting: Promise<void> | undefined;
  readonly #liveness: Liveness;

  constructor(options: TrackerClientOptions) {
    super();
    if (options.urls.length === 0) throw new Error('TrackerClient needs at least one tracker URL');
    this.#urls = [...options.urls];
    this.#createSocket = options.createSocket;
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#baseDelay = options.reconnectDelayMs ?? 200;
    this.#liveness = new Liveness({
      idlePingMs: options.idlePingMs ?? CLIENT_IDLE_PING_MS,
      pingTimeoutMs: options.pingTimeoutMs ?? CLIENT_PING_TIMEOUT_MS,
      requestPingMs: options.requestPingMs ?? CLIENT_REQUEST_PING_MS,
      busyPingTimeoutMs: options.busyPingTimeoutMs ?? CLIENT_BUSY_PING_TIMEOUT_MS,
    });
  }

  get status(): ConnectionStatus {
    return this.#status;
  }
  get url(): string | undefined {
    return this.#url;
  }
  get peerId(): string | undefined {
    return this.#peerId;
  }
  get trackerId(): string | undefined {
    return this.#trackerId;
  }
  /** The name the tracker's operator gave it (--name), for people; undefined from a tracker that names none. */
  get trackerName(): string | undefined {
    return this.#trackerName;
  }
  /** The tracker URLs the last hello listed. */
  get helloTrackers(): readonly string[] {
    return this.#helloTrackers;
  }
  /** The web app's public address the tracker named in hello (its --public-url), if any: links are built on it. */
  get appUrl(): string | undefined {
    return this.#appUrl;
  }
  get userId(): string | undefined {
    return this.#userId;
  }
  get token(): string | undefined {
    return this.#token;
  }
  /** The ICE servers to dial with now: hello's, plus TURN with a fresh credential while signed in. Read at each dial. */
  get iceServers(): IceServer[] {
    return this.#ice.servers;
  }
  get knownTrackers(): readonly string[] {
    return this.#urls;
  }

  /**
   * Connects to the first tracker that answers. Resolves once ready. Gives up
   * after three rounds, unless `keepTrying` (the app: the tracker may be
   * restarting), which says 'reconnecting' then and goes on until close().
   */
  connect(options: { keepTrying?: boolean } = {}): Promise<void> {
    if (this.#status === 'connected') return Promise.resolve();
    this.#connecting ??= this.#connectLoop(false, options.keepTrying).finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Sends a request; resolves with the reply body or rejects with a MeshdropError. */
  request<T extends RequestType>(type: T, body: RequestBody<T>): Promise<ReplyBodies[T]> {
    // Unguessable, not a counter: an id is this client's alone.
    const id = randomId();
    const message = { id, type, ...body } as Record<string, unknown>;
    return new Promise<ReplyBodies[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        const where = this.#status === 'connected' ? 'the tracker did not answer' : 'no tracker could be reached to answer';
        reject(new MeshdropError(ErrorCode.Timeout, `${where} ${type} in time`));
      }, this.#timeoutMs);
      const connected = this.#status === 'connected';
      const seq = connected ? ++this.#frameSeq : undefined;
      this.#pending.set(id, { type, message, resolve: resolve as Pending['resolve'], reject, timer, sentAt: connected ? Date.now() : undefined, seq });
      if (connected) this.#socket!.send(JSON.stringify(message));
      // Otherwise it goes out when the connection is ready.
    });
  }

  /**
   * Relays a WebRTC signal to a peer of a file's group. The signals of one
   * task leave together in `signals` frames, which the tracker answers only
   * for a signal it refuses: the promise rejects with that refusal, and
   * resolves once the signal is known relayed (see QuietSignal). Until then
   * it is re-sent, with its id, on the next tracker if this one goes away.
   */
  signal(fileId: string, to: string, data: unknown): Promise<void> {
    return this.#signals.signal(fileId, to, data);
  }

  // ---------------------------------------------------------- sessions

  /** Logs in and remembers the token for resumption. */
  async login(userId: string, password: string): Promise<{ userId: string; token: string }> {
    const reply = await this.request('login', { userId, password });
    this.#token = reply.token;
    this.#userId = reply.userId;
    this.#ice.signedIn(reply);
    return reply;
  }

  /** Resumes a stored session (after a page reload). */
  async resume(token: string): Promise<string> {
    const reply = await this.request('resume', { token });
    this.#token = token;
    this.#userId = reply.userId;
    this.#ice.signedIn(reply);
    return reply.userId;
  }

  async logout(): Promise<void> {
    try {
      await this.request('logout', {});
    } finally {
      this.#forgetSession();
    }
  }

  /** My live sessions (this one marked `current`). */
  async listSessions(): Promise<ReplyBodies['list_sessions']['sessions']> {
    return (await this.request('list_sessions', {})).sessions;
  }

  /** Ends one of my sessions by its id; ending this one is a log-out. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.request('revoke_session', { sessionId });
  }

  /** Sign out everywhere: every session of mine ends, this one included. */
  async logoutAll(): Promise<void> {
    try {
      await this.request('logout_all', {});
    } finally {
      this.#forgetSession();
    }
  }

  // ---------------------------------------------------------- presence

  /** Announces a file's bitfield; the object is kept and re-announced after reconnects. */
  async announce(fileId: string, bitfield: Bitfield): Promise<void> {
    this.#announced.set(fileId, bitfield);
    await this.request('announce', { fileId, bitfield: bitfield.toBase64() });
  }

  /** New pieces of an announced file (already set in its bitfield by the caller). */
  async have(fileId: string, pieces: number[]): Promise<void> {
    if (!this.#announced.has(fileId) || pieces.length === 0) return;
    await this.request('have', { fileId, pieces });
  }

  async unannounce(fileId: string): Promise<void> {
    this.#announced.delete(fileId);
    await this.request('unannounce', { fileId });
  }

  close(): void {
    this.#liveness.stop();
    this.#ice.stop();
    this.#status = 'closed';
    // An attempt on its way (socket open, hello or resume unanswered) ends too: left alone it would
    // come up connected after close(), its liveness pings keeping the process alive.
    this.#abortAttempt?.(new MeshdropError(ErrorCode.Disconnected, 'the connection was closed'));
    this.#socket?.close(1000, 'bye');
    this.#socket = undefined;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new MeshdropError(ErrorCode.Disconnected, 'the connection was closed'));
      this.#pending.delete(id);
    }
    this.#signals.closed();
    this.emit('status', { status: 'closed', url: this.#url });
  }

  // ---------------------------------------------------------- internals

  #forgetSession(): void {
    this.#ice.forget();
    this.#token = undefined;
    this.#userId = undefined;
    this.#announced.clear();
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.emit('status', { status, url: this.#url });
  }

  /** Tries every known tracker in turn, with backoff between rounds, until one is ready. */
  async #connectLoop(reconnecting: boolean, keepTrying = false): Promise<void> {
    this.#setStatus(reconnecting ? 'reconnecting' : 'connecting');
    let round = 0;
    for (;;) {
      /** A tracker that speaks another protocol version: trying again cannot help, and people must be told why. */
      let otherVersion: MeshdropError | undefined;
      for (let tried = 0; tried < this.#urls.length; tried++) {
        if (this.#status === 'closed') throw new MeshdropError(ErrorCode.Disconnected, 'the connection was closed');
        const url = this.#urls[this.#urlIndex % this.#urls.length]!;
        try {
          await this.#open(url, reconnecting);
          return;
        } catch (err) {
          if (err instanceof MeshdropError && err.code === ErrorCode.VersionMismatch) otherVersion = err;
          this.#urlIndex++;
          this.emit('dialFailed', { url });
        }
      }
      if (otherVersion) {
        // No tracker took us and one said why: its words (which side is older, what to do) are what the app shows.
        this.#setStatus('idle');
        this.emit('refused', { code: otherVersion.code, message: otherVersion.message });
        throw otherVersion;
      }
      if (!reconnecting && round >= 2) {
        if (!keepTrying) {
          this.#setStatus('idle');
          throw new MeshdropError(ErrorCode.Disconnected, `no tracker answered (${this.#urls.join(', ')})`);
        }
        if (this.#status !== 'reconnecting') this.#setStatus('reconnecting');
      }
      const delay = Math.min(this.#baseDelay * 2 ** round, this.#baseDelay * 8);
      round++;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** One attempt: open, hello, resume, re-announce, flush pending. Rejects if any step fails. */
  #open(url: string, reconnecting: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let socket: SocketLike;
      try {
        socket = this.#createSocket(url);
      } catch (err) {
        reject(err as Error);
        return;
      }
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.#abortAttempt = undefined;
        clearTimeout(attemptTimer);
        socket.onclose = null;
        socket.onmessage = null;
        try {
          socket.close();
        } catch {
          /* already closed */
        }
        reject(err);
      };
      const attemptTimer = setTimeout(() => fail(new Error(`no answer from ${url}`)), 3000);
      this.#abortAttempt = fail;
      const helloId = randomId();
      let resumeId: string | undefined;

      socket.onerror = () => undefined;
      socket.onclose = () => {
        clearTimeout(attemptTimer);
        fail(new Error(`${url} closed`));
      };
      socket.onopen = () => socket.send(JSON.stringify({ id: helloId, type: 'hello', protocol: PROTOCOL_VERSION, client: this.#secret }));
      socket.onmessage = (ev) => {
        const value = this.#readFrame(String(ev.data));
        if (value === undefined) return;
        const envelope = ReplyEnvelope.safeParse(value);
        // Events (and anything else) before the hello reply are not for us yet.
        if (!envelope.success) return;
        const msg = envelope.data;
        if (msg.id === helloId) {
          if (!msg.ok) {
            clearTimeout(attemptTimer);
            return fail(new MeshdropError(msg.error.code as ErrorCode, msg.error.message));
          }
          const hello = parseReplyBody('hello', value);
          if (!hello.ok) {
            clearTimeout(attemptTimer);
            this.#malformed(`the hello reply: ${hello.problem}`);
            return fail(new MeshdropError(ErrorCode.MalformedReply, `${url} sent a malformed hello reply (${hello.problem})`));
          }
          this.#peerId = hello.body.peerId;
          this.#trackerId = hello.body.trackerId;
          this.#trackerName = hello.body.name;
          this.#helloTrackers = hello.body.trackers;
          this.#appUrl = hello.body.appUrl;
          this.#ice.hello(hello.body.iceServers);
          for (const u of hello.body.trackers) if (!this.#urls.includes(u)) this.#urls.push(u);
          if (this.#token) {
            resumeId = randomId();
            socket.send(JSON.stringify({ id: resumeId, type: 'resume', token: this.#token }));
          } else {
            ready(false);
          }
          return;
        }
        if (resumeId !== undefined && msg.id === resumeId) {
          if (!msg.ok) {
            if (msg.error.code === ErrorCode.InvalidSession) {
              this.#forgetSession();
              this.emit('sessionLost', { reason: msg.error.message });
              ready(false);
            } else {
              clearTimeout(attemptTimer);
              fail(new MeshdropError(msg.error.code as ErrorCode, msg.error.message));
            }
            return;
          }
          const resumed = parseReplyBody('resume', value);
          if (resumed.ok) this.#ice.signedIn(resumed.body);
          ready(true);
        }
      };

      const ready = (resumed: boolean) => {
        if (settled) return;
        settled = true;
        this.#abortAttempt = undefined;
        clearTimeout(attemptTimer);
        this.#socket = socket;
        this.#url = url;
        socket.onmessage = (ev) => this.#onMessage(String(ev.data));
        socket.onclose = (ev) => this.#onDisconnect(socket, ev?.code);
        this.#startLiveness(socket);
        // Presence first, so peers find us again before anything else happens.
        for (const [fileId, bitfield] of this.#announced) {
          socket.send(JSON.stringify({ id: randomId(), type: 'announce', fileId, bitfield: bitfield.toBase64() }));
        }
        // Requests that were in flight or queued go (again) with their ids.
        const now = Date.now();
        for (const p of this.#pending.values()) {
          p.sentAt = now;
          p.seq = ++this.#frameSeq;
          socket.send(JSON.stringify(p.message));
        }
        // Signals not known relayed go again with their ids (a refusal from the last tracker would have come).
        this.#signals.reconnected();
        this.#setStatus('connected');
        this.#signals.flush();
        this.emit('ready', { url, peerId: this.#peerId!, resumed: resumed || reconnecting });
        resolve();
      };
    });
  }

  #onMessage(text: string): void {
    this.#liveness.heard();
    const value = this.#readFrame(text);
    if (value === undefined) return;
    if (typeof (value as { event?: unknown }).event === 'string') {
      const parsed = TrackerEventSchema.safeParse(value);
      if (!parsed.success) return this.#malformed(`a ${JSON.stringify((value as { event: string }).event.slice(0, 40))} event: ${describeIssue(parsed.error)}`);
      const event = parsed.data;
      if (event.event === 'session_revoked') {
        this.#forgetSession();
        this.emit('sessionLost', { reason: event.reason });
      }
      this.emit('event', event);
      return;
    }
    const envelope = ReplyEnvelope.safeParse(value);
    if (!envelope.success) {
      this.#malformed(`a reply: ${describeIssue(envelope.error)}`);
      // If it still names a request of ours, that request fails now rather than at its timeout.
      const id = (value as { id?: unknown }).id;
      if (typeof id === 'string') this.#failPending(id, new MeshdropError(ErrorCode.MalformedReply, `the tracker sent a malformed reply (${describeIssue(envelope.error)})`));
      return;
    }
    const msg = envelope.data;
    if (this.#ping && msg.id === this.#ping.id) {
      this.#signals.relayedBefore(this.#ping.seq);
      this.#ping = undefined;
      return;
    }
    if (msg.id !== null && !msg.ok && this.#signals.refused(msg.id, new MeshdropError(msg.error.code as ErrorCode, msg.error.message))) return;
    // No pending request: a re-announce's reply, one that timed out, or an error the tracker could not tie to a request.
    const pending = msg.id === null ? undefined : this.#pending.get(msg.id);
    if (!pending || msg.id === null) return;
    this.#pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (pending.seq !== undefined) this.#signals.relayedBefore(pending.seq);
    if (!msg.ok) {
      // A code this client does not know (a newer tracker's) is passed on as it is, with its message.
      pending.reject(new MeshdropError(msg.error.code as ErrorCode, msg.error.message));
      return;
    }
    const reply = parseReplyBody(pending.type, value);
    if (reply.ok) {
      pending.resolve(reply.body);
    } else {
      this.#malformed(`the ${pending.type} reply: ${reply.problem}`);
      pending.reject(new MeshdropError(ErrorCode.MalformedReply, `the tracker sent a malformed ${pending.type} reply (${reply.problem})`));
    }
  }

  #failPending(id: string, err: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(err);
  }

  /** A frame as JSON (a relayed signal's data read apart: signals-frame.ts), or undefined (reported) if it cannot be read. Never throws. */
  #readFrame(text: string): object | undefined {
    const read = readTrackerFrame(text);
    if (read.ok) return read.value;
    this.#malformed(read.problem);
    return undefined;
  }

  /** Drops what the tracker sent, and says why: on the console for people, as an event for the app and tests. */
  #malformed(problem: string): void {
    console.warn(`tracker client: dropped a malformed message from ${this.#url ?? 'the tracker'}: ${problem}`);
    this.emit('malformed', { problem });
  }

  /** Watches this socket for silence (client/tracker-liveness.ts). */
  #startLiveness(socket: SocketLike): void {
    this.#liveness.start({
      current: () => socket === this.#socket,
      oldestUnanswered: () => this.#oldestUnanswered(),
      ping: () => {
        // Numbered like a request: its reply settles the signals sent before it (client/tracker-signals.ts).
        this.#ping = { id: randomId(), seq: ++this.#frameSeq };
        socket.send(JSON.stringify({ id: this.#ping.id, type: 'ping' }));
      },
      silent: () => {
        socket.onclose = null;
        socket.onmessage = null;
        try {
          socket.close(4000, 'no answer');
        } catch {
          /* already closing */
        }
        this.#onDisconnect(socket);
      },
    });
  }

  /** When the longest-waiting request went out on this socket, if any is waiting. */
  #oldestUnanswered(): number | undefined {
    let oldest: number | undefined;
    for (const p of this.#pending.values()) if (p.sentAt !== undefined && (oldest === undefined || p.sentAt < oldest)) oldest = p.sentAt;
    return oldest;
  }

  #onDisconnect(socket: SocketLike, code?: number): void {
    if (socket !== this.#socket || this.#status === 'closed') return;
    this.#liveness.stop();
    this.#socket = undefined;
    // Try another tracker first: this one just went away. Not when it only closed a connection that had not
    // logged in in time (a tab left on the sign-in page): it is there, and the tab comes back to it.
    if (code !== CloseCode.LoginTimeout) this.#urlIndex++;
    this.#connecting ??= this.#connectLoop(true)
      .catch(() => undefined)
      .finally(() => (this.#connecting = undefined));
  }
}
