/**
 * The TrackerClient's public types (client/tracker.ts): its status, events
 * and options, and what it keeps of a request in flight.
 */
import type { TrackerEvent } from '../protocol/events.ts';
import type { RequestOf, RequestType } from '../protocol/tracker.ts';
import type { SocketFactory } from './ports.ts';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type RequestBody<T extends RequestType> = Omit<RequestOf<T>, 'id' | 'type'>;

export interface TrackerClientEvents extends Record<string, unknown> {
  /** Every pushed event, as the tracker sent it. */
  event: TrackerEvent;
  status: { status: ConnectionStatus; url: string | undefined };
  /** A (re)connection finished: session resumed, presence re-announced. Swarms re-ask for holders here. */
  ready: { url: string; peerId: string; resumed: boolean };
  /** One tracker did not answer a dial (the loop goes on to the next): lets the app forget a tracker that stays gone. */
  dialFailed: { url: string };
  /** The session ended (logout elsewhere, or a lost name after a merge). */
  sessionLost: { reason: string };
  /**
   * Trying stopped for good: a tracker speaks another protocol version, and
   * retrying cannot change that. Said on every path (first connection or a
   * reconnect after the tracker was upgraded), with the tracker's own words.
   */
  refused: { code: string; message: string };
  /**
   * The tracker sent something that is not a valid reply or event: it was
   * dropped (a reply's request fails with `malformed_reply`), and this says
   * what was wrong. The connection goes on.
   */
  malformed: { problem: string };
}

export interface TrackerClientOptions {
  /** Tracker WebSocket URLs to try, in order; the hello reply adds the mesh's others. */
  urls: string[];
  createSocket: SocketFactory;
  /** A request with no reply by then fails with `timeout`. */
  requestTimeoutMs?: number;
  /** Backoff between reconnection rounds: starts here, doubles, caps at 8x. */
  reconnectDelayMs?: number;
  /** Liveness: ping after this long without hearing anything (CLIENT_IDLE_PING_MS). */
  idlePingMs?: number;
  /** Liveness: give the tracker up if a ping gets nothing back in this long (CLIENT_PING_TIMEOUT_MS). */
  pingTimeoutMs?: number;
  /** Liveness while busy: ping when a request has had no answer (and nothing was heard) for this long (CLIENT_REQUEST_PING_MS). */
  requestPingMs?: number;
  /** Liveness while busy: with requests in flight, give the tracker up after this long without a pong (CLIENT_BUSY_PING_TIMEOUT_MS). */
  busyPingTimeoutMs?: number;
}

/** A request sent (or queued) and not yet answered. */
export interface Pending {
  type: RequestType;
  message: Record<string, unknown>;
  /** Takes the reply body, already parsed by the schema of `type`'s reply. */
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** When it last went out on the current socket; undefined while queued for the next one. */
  sentAt: number | undefined;
  /** Its place among the frames this client sent (client/tracker.ts `#frameSeq`): its reply settles the signals sent before it. */
  seq?: number;
}

/**
 * A signal handed to the tracker in a `signals` frame, which is answered
 * only if it is refused. Settled as relayed once the reply to a request
 * sent after it arrives (the tracker handles a connection's frames in order,
 * a signal synchronously), or when the request timeout passes with no
 * refusal; re-sent on the next tracker if the connection goes first.
 */
export interface QuietSignal {
  item: { id: string; fileId: string; to: string; data: unknown };
  resolve: () => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The frame it last went out in (`#frameSeq`); undefined while it waits to be sent. */
  seq: number | undefined;
}
