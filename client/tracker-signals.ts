/**
 * The TrackerClient's signals (client/tracker.ts `signal`): batched per task
 * into `signals` frames, which the tracker answers only for a signal it
 * refuses. A signal is settled
 * - refused: an error reply under its id (or its frame's id, when the frame
 *   as a whole did not parse) rejects it with that error;
 * - relayed: once the reply to a request (or to a liveness ping, at most
 *   CLIENT_IDLE_PING_MS later) sent after its frame arrives: the tracker
 *   handles a connection's frames in order and a signal synchronously, so a
 *   refusal would have come first;
 * - relayed too, if the connection it went out on is lost first: it was
 *   written to an open socket, and sent again to a tracker that restarted it
 *   would name presence ids that are gone, and the refusal would close a link
 *   that is working over its own channel;
 * - failed, if it never left: no tracker took it within the request timeout.
 * A sent signal holds no timer: an engine closed right after a dial leaves
 * nothing running (tests/integration/swarm-cleanup.test.ts).
 */
import { MAX_SIGNALS_PER_FRAME } from '../protocol/constants.ts';
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import { randomId } from './random-id.ts';
import { encodeSignalsFrame } from '../protocol/signals-frame.ts';
import type { QuietSignal } from './tracker-types.ts';

export interface SignalLine {
  /** Sends one frame's text if connected; false when there is no connection now. */
  send(text: string): boolean;
  /** The next frame number of this client (requests are numbered from the same counter). */
  nextSeq(): number;
  /** How long a signal may wait unsettled (the client's request timeout). */
  timeoutMs(): number;
}

export class QuietSignals {
  /** Signals not yet settled, by id. */
  readonly #quiet = new Map<string, QuietSignal>();
  /** Waiting for this task's end (or the connection) to leave together. */
  #outbox: QuietSignal[] = [];
  /** A frame's id → its signals' ids. */
  readonly #frames = new Map<string, { seq: number; ids: string[] }>();

  constructor(private readonly line: SignalLine) {}

  signal(fileId: string, to: string, data: unknown): Promise<void> {
    const id = randomId();
    return new Promise<void>((resolve, reject) => {
      // Cleared once it is sent (see the top): only a signal no tracker took runs out.
      const timer = setTimeout(() => {
        const q = this.#quiet.get(id);
        if (!q || q.seq !== undefined) return;
        this.#quiet.delete(id);
        reject(new MeshdropError(ErrorCode.Timeout, 'no tracker could be reached to relay a signal in time'));
      }, this.line.timeoutMs());
      const q: QuietSignal = { item: { id, fileId, to, data }, resolve, reject, timer, seq: undefined };
      this.#quiet.set(id, q);
      this.#outbox.push(q);
      // One flush per task: the signals a swarm makes together (an offer and its first candidates) share frames.
      if (this.#outbox.length === 1) queueMicrotask(() => this.flush());
    });
  }

  /** Sends the outbox in frames of at most MAX_SIGNALS_PER_FRAME; kept for the connection if there is none. */
  flush(): void {
    const out = this.#outbox.filter((q) => this.#quiet.has(q.item.id));
    for (let i = 0; i < out.length; i += MAX_SIGNALS_PER_FRAME) {
      const batch = out.slice(i, i + MAX_SIGNALS_PER_FRAME);
      const id = randomId();
      const seq = this.line.nextSeq();
      const frame = encodeSignalsFrame(id, batch.map(({ item }) => ({ id: item.id, fileId: item.fileId, to: item.to, data: JSON.stringify(item.data) ?? 'null' })));
      if (!this.line.send(frame)) return;
      for (const q of batch) {
        q.seq = seq;
        clearTimeout(q.timer);
      }
      this.#frames.set(id, { seq, ids: batch.map((q) => q.item.id) });
    }
    this.#outbox = [];
  }

  /** A new connection: signals sent on the lost one count as relayed; those never sent go now (call flush once ready). */
  reconnected(): void {
    this.#frames.clear();
    for (const [id, q] of this.#quiet) {
      if (q.seq === undefined) continue;
      this.#quiet.delete(id);
      q.resolve();
    }
    this.#outbox = [...this.#quiet.values()];
  }

  /** An error reply: if it names a signal or a signal frame, those signals fail with it (true); otherwise false. */
  refused(id: string, err: MeshdropError): boolean {
    const frame = this.#frames.get(id);
    const ids = frame ? frame.ids : this.#quiet.has(id) ? [id] : undefined;
    if (!ids) return false;
    this.#frames.delete(id);
    for (const sid of ids) {
      const q = this.#quiet.get(sid);
      if (!q) continue;
      this.#quiet.delete(sid);
      clearTimeout(q.timer);
      q.reject(err);
    }
    return true;
  }

  /** The reply to the request sent as frame `seq` came: every signal sent before it was handled and not refused. */
  relayedBefore(seq: number): void {
    for (const [id, q] of this.#quiet) {
      if (q.seq === undefined || q.seq >= seq) continue;
      this.#quiet.delete(id);
      clearTimeout(q.timer);
      q.resolve();
    }
    for (const [id, f] of this.#frames) if (f.seq < seq) this.#frames.delete(id);
  }

  /** The client closed: every signal not settled fails. */
  closed(): void {
    for (const q of this.#quiet.values()) {
      clearTimeout(q.timer);
      q.reject(new MeshdropError(ErrorCode.Disconnected, 'the connection was closed'));
    }
    this.#quiet.clear();
    this.#outbox = [];
    this.#frames.clear();
  }
}
