/**
 * The NATS bus, for many trackers: NATS JetStream is the distributed log,
 * so trackers need not dial each other.
 *
 * Ops: each op is one message on `meshdrop.ops.<origin>` in one stream, with
 * `origin:seq` as its message id (JetStream drops a re-publish inside its
 * duplicate window). Publishing is serial per tracker, so each origin's
 * subject holds its ops in seq order. At start and after every reconnection
 * a tracker asks the stream for the last message on its own subject and
 * publishes whatever it made after that: ops made while NATS was out of reach
 * go out when it returns.
 *
 * Every tracker reads the stream through its own durable consumer, acking
 * (ack-all) only after the ops are in its log, so a restarted tracker resumes
 * from its last applied position, not from the start; a redelivered op is a
 * duplicate and is dropped before the log.
 *
 * Presence, signals and heartbeats are plain NATS subjects (soft state: lost
 * messages are repaired by the next snapshot). A tracker silent for
 * NATS_TRACKER_TIMEOUT_MS counts as gone and its peers' presence is dropped.
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  Events,
  JSONCodec,
  nanos,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type Subscription,
} from 'nats';
import {
  Heartbeat,
  NATS,
  NATS_HEARTBEAT_MS,
  NATS_TRACKER_TIMEOUT_MS,
  NatsPresence,
  parseOp,
  SignalMessage,
  type PresenceMessage,
} from '../../protocol/mesh.ts';
import { opId, type Op, type VersionVector } from '../../protocol/ops.ts';
import type { Bus, BusStats, MeshNode } from './bus.ts';

export interface NatsOptions {
  servers: readonly string[];
  /**
   * Stream replicas. Default: 3 when three or more servers are given (a
   * cluster: the log survives losing one), else 1.
   */
  replicas?: number;
}

/** JetStream drops a message whose id it saw within this window: the republish-after-reconnect case. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** Ops taken from the consumer per batch: one fsync (group commit) for up to this many. */
const CONSUME_BATCH = 1000;

/** A pull request's lifetime: bounds how long a consumer stays deaf after losing its NATS node. */
const PULL_EXPIRES_MS = 5_000;
/** How long closing waits for in-flight publishes and a drain before it just closes. */
const CLOSE_WAIT_MS = 2_000;

const codec = JSONCodec<unknown>();

export class NatsBus implements Bus {
  readonly kind = 'nats';
  readonly stats: BusStats = { opsSent: 0, opsReceived: 0, trackers: 0 };
  #options: NatsOptions;
  #node: MeshNode | undefined;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #messages: ConsumerMessages | undefined;
  #subs: Subscription[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  /** Trackers heard from → when last. */
  #seen = new Map<string, number>();
  /** Publishing is one chain: own ops reach the stream in seq order. */
  #publishing: Promise<void> = Promise.resolve();
  #republishNeeded = false;
  /** Lowest own seq whose live publish failed since the last republish. */
  #firstFailed = Number.MAX_SAFE_INTEGER;
  #closed = false;
  #queue: JsMsg[] = [];
  #draining = false;

  constructor(options: NatsOptions) {
    if (options.servers.length === 0) throw new Error('NATS needs at least one server URL');
    this.#options = options;
  }

  get #self(): string {
    return this.#node!.trackerId;
  }

  async start(node: MeshNode): Promise<void> {
    this.#node = node;
    const nc = await connect({
      servers: [...this.#options.servers],
      name: `meshdrop-${node.trackerId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5_000,
    });
    this.#nc = nc;
    void this.#watchStatus(nc);
    const jsm = await nc.jetstreamManager();
    await this.#ensureStream(jsm);
    this.#js = nc.jetstream();
    await this.#startConsumer(jsm, this.#js);

    this.#subs.push(
      nc.subscribe(NATS.presence, { callback: (err, msg) => !err && this.#onPresence(msg.data) }),
      nc.subscribe(NATS.heartbeat, { callback: (err, msg) => !err && this.#onHeartbeat(msg.data) }),
      nc.subscribe(NATS.signal(node.trackerId), { callback: (err, msg) => !err && this.#onSignal(msg.data) }),
    );
    this.#heartbeat();
    this.#timers.push(setInterval(() => this.#heartbeat(), NATS_HEARTBEAT_MS));
    for (const t of this.#timers) t.unref?.();
    this.#republish();
  }

  publishOps(ops: readonly Op[], from?: string): void {
    // Ops that came from the stream are already in it.
    if (from !== undefined || this.#closed) return;
    const own = ops.filter((op) => op.origin === this.#self);
    if (own.length === 0) return;
    this.#enqueuePublish(own);
  }

  publishPresence(message: PresenceMessage): void {
    this.#publish(NATS.presence, { from: this.#self, message });
  }

  sendSignal(trackerId: string, message: SignalMessage): boolean {
    if (!this.#seen.has(trackerId) || !this.#nc || this.#nc.isClosed()) return false;
    this.#publish(NATS.signal(trackerId), message);
    return true;
  }

  resync(): void {
    // The stream delivers each origin's ops in order; a gap can only be an op
    // its origin has not published yet, which its republish will bring.
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#messages?.stop();
    // Bounded: with NATS unreachable, a drain (or a publish awaiting its ack) would wait for ever.
    const bounded = (p: Promise<unknown>) =>
      Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    await bounded(this.#publishing);
    for (const s of this.#subs) s.unsubscribe();
    const nc = this.#nc;
    if (nc && !nc.isClosed()) {
      await bounded(nc.drain());
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ ops out

  /**
   * Live ops go out at once, not one ack at a time: one connection keeps
   * their order, and waiting for each ack would cap a tracker at one op per
   * round trip. A failed publish marks where the stream may have a hole; the
   * republish starts there.
   */
  #enqueuePublish(ops: readonly Op[]): void {
    if (this.#republishNeeded || this.#closed) return; // the republish will carry them
    for (const op of ops) {
      this.#js!.publish(NATS.opsSubject(op.origin), codec.encode(op), { msgID: opId(op) }).then(
        () => this.stats.opsSent++,
        (err: Error) => {
          if (this.#closed) return;
          this.#firstFailed = Math.min(this.#firstFailed, op.seq);
          if (this.#republishNeeded) return;
          console.warn(`mesh: publishing to NATS failed (${err.message}); will republish`);
          this.#republishNeeded = true;
          setTimeout(() => this.#republish(), 1000).unref();
        },
      );
    }
  }

  /** Publishes every own op the stream lacks: after start, a reconnection or a failed publish. */
  #republish(): void {
    if (this.#closed) return;
    this.#publishing = this.#publishing.then(async () => {
      if (this.#closed) return;
      this.#republishNeeded = true; // live publishes wait for it
      const jsm = await this.#nc!.jetstreamManager();
      let last = 0;
      try {
        const msg = await jsm.streams.getMessage(NATS.stream, { last_by_subj: NATS.opsSubject(this.#self) });
        last = parseOp(msg.json()).seq;
      } catch (err) {
        if (!/no message found/i.test((err as Error).message)) throw err;
      }
      // A failed live publish may have left a hole below the last message.
      let from = Math.min(last, this.#firstFailed - 1);
      this.#firstFailed = Number.MAX_SAFE_INTEGER;
      for (;;) {
        const skip: VersionVector = {};
        for (const origin of Object.keys(this.#node!.versionVector())) skip[origin] = Number.MAX_SAFE_INTEGER;
        skip[this.#self] = from;
        const missing = [...this.#node!.opsAfter(skip)];
        // Checked and cleared in one synchronous step: no op can fall between the scan and live publishing.
        if (missing.length === 0) break;
        for (let i = 0; i < missing.length; i += CONSUME_BATCH) {
          const batch = missing.slice(i, i + CONSUME_BATCH);
          await Promise.all(batch.map((op) => this.#js!.publish(NATS.opsSubject(op.origin), codec.encode(op), { msgID: opId(op) })));
          this.stats.opsSent += batch.length;
        }
        from = missing.at(-1)!.seq;
      }
      this.#republishNeeded = false;
    }).catch((err) => {
      if (this.#closed) return;
      console.warn(`mesh: republishing to NATS failed (${(err as Error).message}); retrying`);
      this.#republishNeeded = true;
      setTimeout(() => this.#republish(), 1000).unref();
    });
  }

  // ------------------------------------------------------------ ops in

  async #ensureStream(jsm: JetStreamManager): Promise<void> {
    try {
      await jsm.streams.info(NATS.stream);
      return;
    } catch {
      /* not there yet */
    }
    const replicas = this.#options.replicas ?? (this.#options.servers.length >= 3 ? 3 : 1);
    try {
      await jsm.streams.add({
        name: NATS.stream,
        subjects: [NATS.opsWildcard],
        storage: StorageType.File,
        num_replicas: replicas,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
    } catch (err) {
      // Another tracker created it at the same moment: fine if it is there now.
      await jsm.streams.info(NATS.stream).catch(() => {
        throw err;
      });
    }
  }

  async #startConsumer(jsm: JetStreamManager, js: JetStreamClient): Promise<void> {
    const durable = `tracker-${this.#self}`;
    try {
      await jsm.consumers.info(NATS.stream, durable);
    } catch {
      await jsm.consumers.add(NATS.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.All,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 20 * CONSUME_BATCH,
        ack_wait: nanos(60_000),
      });
    }
    const consumer = await js.consumers.get(NATS.stream, durable);
    // Pull requests expire after 5 s (default 30 s): when the NATS node holding
    // the consumer dies, the client notices the missed heartbeats and pulls
    // from the new leader within seconds, not half a minute.
    this.#messages = await consumer.consume({ max_messages: CONSUME_BATCH, expires: PULL_EXPIRES_MS });
    void (async () => {
      try {
        for await (const msg of this.#messages!) {
          this.#queue.push(msg);
          void this.#drain();
        }
      } catch (err) {
        if (!this.#closed) console.error('mesh: NATS consumer stopped:', err);
      }
    })();
  }

  /** Takes queued messages in batches: ingest (durable), then ack the last (ack-all). */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#queue.splice(0, CONSUME_BATCH);
        const byOrigin = new Map<string, Op[]>();
        for (const msg of batch) {
          try {
            const op = parseOp(msg.json());
            let list = byOrigin.get(op.origin);
            if (!list) byOrigin.set(op.origin, (list = []));
            list.push(op);
          } catch {
            console.warn(`mesh: skipping a malformed op in the stream (seq ${msg.seq})`);
          }
        }
        this.stats.opsReceived += batch.length;
        await Promise.all([...byOrigin].map(([origin, ops]) => this.#node!.receiveOps(ops, origin)));
        batch.at(-1)!.ack();
      }
    } catch (err) {
      // Not acked: the consumer redelivers after ack_wait.
      if (!this.#closed) console.error('mesh: could not store ops from NATS:', err);
    } finally {
      this.#draining = false;
    }
  }

  // ------------------------------------------------------------ soft state

  #publish(subject: string, value: unknown): void {
    const nc = this.#nc;
    if (!nc || nc.isClosed() || this.#closed) return;
    try {
      nc.publish(subject, codec.encode(value));
    } catch {
      /* disconnected: soft state, repaired by the next snapshot */
    }
  }

  #heartbeat(): void {
    this.#publish(NATS.heartbeat, { type: 'heartbeat', trackerId: this.#self, urls: this.#node!.urls() });
    const now = Date.now();
    for (const [id, at] of this.#seen) {
      if (now - at > NATS_TRACKER_TIMEOUT_MS) {
        this.#seen.delete(id);
        this.stats.trackers = this.#seen.size;
        this.#node!.trackerDown(id);
      }
    }
  }

  #onHeartbeat(data: Uint8Array): void {
    const r = Heartbeat.safeParse(safeDecode(data));
    if (!r.success || r.data.trackerId === this.#self) return;
    const isNew = !this.#seen.has(r.data.trackerId);
    this.#seen.set(r.data.trackerId, Date.now());
    if (!isNew) return;
    this.stats.trackers = this.#seen.size;
    this.#node!.trackerUp(r.data.trackerId, r.data.urls);
    // A tracker appeared (or came back): tell it who holds what here.
    this.publishPresence(this.#node!.presenceSnapshot());
  }

  #onPresence(data: Uint8Array): void {
    const r = NatsPresence.safeParse(safeDecode(data));
    if (!r.success || r.data.from === this.#self) return;
    this.#node!.receivePresence(r.data.message, r.data.from);
  }

  #onSignal(data: Uint8Array): void {
    const r = SignalMessage.safeParse(safeDecode(data));
    if (r.success) this.#node!.receiveSignal(r.data);
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Reconnect) this.#republish();
    }
  }
}

function safeDecode(data: Uint8Array): unknown {
  try {
    return codec.decode(data);
  } catch {
    return undefined;
  }
}
