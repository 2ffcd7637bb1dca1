/**
 * The NATS bus, for many trackers: NATS JetStream is the distributed log,
 * so trackers need not dial each other.
 *
 * Why one file over 400 lines: it is one object over one NATS connection,
 * and its parts hold each other's state. Publishing (the serial chain, the
 * republish after a reconnect and its failure mark), consuming (parking,
 * acks only once durable) and gap filling (reads from the consumer's ack
 * floor) read and write the same fields, and the correctness argument
 * below is about how they interleave: apart, each would take the others'
 * fields by reference and the argument would be spread over three files.
 * The soft subjects (presence, signals, heartbeats: the last ~150 lines)
 * are the seam if it grows; they share the connection, the signer, the
 * warning throttle and the heartbeat's ack sweep, so they stay for now.
 *
 * Ops: each op is one message on `meshdrop.ops.<origin>` in one stream, with
 * `origin:seq` as its message id (JetStream drops a re-publish inside its
 * duplicate window). Publishing is serial per tracker, so each origin's
 * subject holds its ops (nearly always) in seq order. At start and after
 * every reconnection a tracker asks the stream for the last message on its
 * own subject and publishes whatever it made after that: ops made while NATS
 * was out of reach, or before the bus was up, go out when it is.
 *
 * Every tracker reads the stream through its own durable consumer with
 * explicit acks: a message is acked only once its op is durable here (or it
 * is refused for good), so an op parked because its predecessor has not come
 * yet is never covered by an ack, and anything unacked is redelivered. An op
 * that arrives ahead of its predecessor makes the tracker fill the gap from
 * the stream itself (`resync`): it reads that origin's subject from its
 * consumer's ack floor, below which everything is already durable here.
 *
 * Presence, signals and heartbeats are plain NATS subjects (soft state: lost
 * messages are repaired by the next snapshot). A tracker silent for
 * NATS_TRACKER_TIMEOUT_MS counts as gone and its peers' presence is dropped.
 *
 * With a secret, every message is signed and unsigned ones are refused (see
 * nats-mac.ts). No message, however hostile, throws out of a NATS callback or
 * stops the consume loop: a throw there would close the client's reader and
 * silently end replication.
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  Events,
  headers as natsHeaders,
  JSONCodec,
  nanos,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NatsError,
  type Subscription,
} from 'nats';
import {
  Heartbeat,
  NATS,
  NATS_AT_HEADER,
  NATS_HEARTBEAT_MS,
  NATS_MAC_HEADER,
  NATS_TRACKER_TIMEOUT_MS,
  NatsPresence,
  parseOp,
  SignalMessage,
  type PresenceMessage,
} from '../../protocol/mesh.ts';
import { opId, type Op, type VersionVector } from '../../protocol/ops.ts';
import type { Bus, BusStats, MeshNode } from './bus.ts';
import { NatsSigner } from './nats-mac.ts';

export interface NatsOptions {
  servers: readonly string[];
  /**
   * Stream replicas. Default: 3 when three or more servers are given (a
   * cluster: the log survives losing one), else 1.
   */
  replicas?: number;
  /** With a secret, every message is signed and unsigned or wrongly signed ones are refused. */
  secret?: string;
}

export interface NatsBusStats extends BusStats {
  /** Messages refused: unsigned, wrongly signed or stale (with a secret), or an op on another origin's subject. */
  refused: number;
  /** Messages that could not be read or handled (malformed, hostile), skipped. */
  dropped: number;
  /** Ops taken from the stream by gap filling, not by the consumer. */
  gapFilled: number;
}

/** JetStream drops a message whose id it saw within this window: the republish-after-reconnect case. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** Ops taken from the consumer per batch: one fsync (group commit) for up to this many. */
const CONSUME_BATCH = 1000;

/** A pull request's lifetime: bounds how long a consumer stays deaf after losing its NATS node. */
const PULL_EXPIRES_MS = 5_000;
/** How long closing waits for in-flight publishes and a drain before it just closes. */
const CLOSE_WAIT_MS = 2_000;
/**
 * Retries of start-up steps, the consume loop and the republish: from 250 ms,
 * doubling, at most 5 s, so a NATS node (or a cluster's leader election) that
 * comes back is used within seconds, and one that stays away costs one
 * attempt per 5 s.
 */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/** A gap that filling could not close is looked at again at most this rarely (the origin's republish brings it anyway). */
const FILL_BACKOFF_MAX_MS = 30_000;
/** A refused or undecodable message is logged at most this often per kind (an attacker could flood the log). */
const WARN_EVERY_MS = 10_000;

const codec = JSONCodec<unknown>();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class NatsBus implements Bus {
  readonly kind = 'nats';
  readonly stats: NatsBusStats = { opsSent: 0, opsReceived: 0, trackers: 0, refused: 0, dropped: 0, gapFilled: 0 };
  #options: NatsOptions;
  #signer: NatsSigner | undefined;
  #node: MeshNode | undefined;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #messages: ConsumerMessages | undefined;
  #subs: Subscription[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  /** Trackers heard from → when last. */
  #seen = new Map<string, number>();
  /** Publishing is one chain: own ops reach the stream in seq order. */
  #publishing: Promise<void> = Promise.resolve();
  /**
   * True until the first republish is done (and again after a failure): live
   * publishes wait, the republish carries every own op the stream lacks. So
   * an op made before the bus was up can never be overtaken by a later one
   * and left as a hole below the stream's last own message.
   */
  #republishNeeded = true;
  /** Lowest own seq whose live publish failed since the last republish. */
  #firstFailed = Number.MAX_SAFE_INTEGER;
  #closed = false;
  #queue: JsMsg[] = [];
  #draining = false;
  /** Delivered messages not acked yet (their op is not durable here yet), by stream seq. */
  #unacked = new Map<number, { msg: JsMsg; origin: string; seq: number }>();
  #filling = false;
  #fillAgain = false;
  /** Origins whose last fill found nothing: when to try again. */
  #fillBackoff = new Map<string, { delay: number; until: number }>();
  #lastWarn = new Map<string, { at: number; suppressed: number }>();

  constructor(options: NatsOptions) {
    if (options.servers.length === 0) throw new Error('NATS needs at least one server URL');
    this.#options = options;
    if (options.secret) this.#signer = new NatsSigner(options.secret);
  }

  get #self(): string {
    return this.#node!.trackerId;
  }

  get #durableName(): string {
    return `tracker-${this.#self}`;
  }

  /**
   * Connects and sets up the stream and consumer, retrying each step with
   * bounded backoff (a NATS node down, a cluster still electing its leader):
   * resolves once the bus can carry this tracker's writes.
   */
  async start(node: MeshNode): Promise<void> {
    this.#node = node;
    const nc = await this.#retry('connecting to NATS', () =>
      connect({
        servers: [...this.#options.servers],
        name: `meshdrop-${node.trackerId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: 5_000,
      }),
    );
    if (!nc) return; // closed while waiting
    this.#nc = nc;
    void this.#watchStatus(nc);
    const jsm = await this.#retry('setting up the NATS stream', async () => {
      const jsm = await nc.jetstreamManager();
      await this.#ensureStream(jsm);
      await this.#ensureConsumer(jsm);
      return jsm;
    });
    if (!jsm) return;
    this.#jsm = jsm;
    this.#js = nc.jetstream();

    this.#subs.push(
      nc.subscribe(NATS.presence, { callback: this.#guarded('presence', (msg) => this.#onPresence(msg)) }),
      nc.subscribe(NATS.heartbeat, { callback: this.#guarded('heartbeat', (msg) => this.#onHeartbeat(msg)) }),
      nc.subscribe(NATS.signal(node.trackerId), { callback: this.#guarded('signal', (msg) => this.#onSignal(msg)) }),
    );
    this.#heartbeat();
    this.#timers.push(setInterval(() => this.#heartbeat(), NATS_HEARTBEAT_MS));
    for (const t of this.#timers) t.unref?.();
    void this.#consumeLoop();
    this.#republish();
    void this.#fillTails();
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

  /** An op came ahead of its predecessor: read the missing ones from the stream. */
  resync(): void {
    void this.#fillGaps();
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
    if (this.#republishNeeded || this.#closed || !this.#js) return; // the republish will carry them
    for (const op of ops) {
      this.#publishOp(op).then(
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

  #publishOp(op: Op): Promise<unknown> {
    const subject = NATS.opsSubject(op.origin);
    const data = codec.encode(op);
    const h = this.#signer ? natsHeaders() : undefined;
    if (h) h.set(NATS_MAC_HEADER, this.#signer!.sign(subject, data));
    return this.#js!.publish(subject, data, { msgID: opId(op), ...(h ? { headers: h } : {}) });
  }

  /** Publishes every own op the stream lacks: after start, a reconnection or a failed publish. */
  #republish(): void {
    if (this.#closed) return;
    this.#publishing = this.#publishing.then(async () => {
      if (this.#closed) return;
      this.#republishNeeded = true; // live publishes wait for it
      const own = this.#node!.versionVector()[this.#self] ?? 0;
      let last = 0;
      try {
        const msg = await this.#jsm!.streams.getMessage(NATS.stream, { last_by_subj: NATS.opsSubject(this.#self) });
        const op = this.#readOp(msg.subject, msg.data, msg.header);
        // Not ours (forged, unsigned) or beyond what we ever made: it cannot
        // say what the stream holds of ours, so everything goes again
        // (duplicates are dropped by id, by the stream and by every reader).
        last = op && op.seq <= own ? op.seq : 0;
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
          await Promise.all(batch.map((op) => this.#publishOp(op)));
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
    } catch (err) {
      if (!/stream not found/i.test((err as Error).message)) throw err;
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

  /**
   * This tracker's durable consumer, with explicit acks. Why not ack-all (one
   * ack per batch): acking message N would ack every earlier one, including
   * messages delivered to this tracker before a crash and never applied, and
   * ops parked waiting for their predecessor; those would never come again.
   * A consumer left by an older version (ack-all) cannot be trusted on what
   * it acked, so it is replaced by one that reads the stream from the start
   * (what is already held is dropped as a duplicate, before the log).
   */
  async #ensureConsumer(jsm: JetStreamManager): Promise<void> {
    try {
      const info = await jsm.consumers.info(NATS.stream, this.#durableName);
      if (info.config.ack_policy === AckPolicy.Explicit) return;
      console.warn(`mesh: replacing NATS consumer ${this.#durableName} (ack-all) with explicit acks; the stream is read again from the start`);
      await jsm.consumers.delete(NATS.stream, this.#durableName);
    } catch (err) {
      if (!/consumer not found/i.test((err as Error).message)) throw err;
    }
    await jsm.consumers.add(NATS.stream, {
      durable_name: this.#durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 20 * CONSUME_BATCH,
      ack_wait: nanos(60_000),
    });
  }

  /**
   * Reads the durable consumer for as long as the bus is open. Whatever ends
   * or breaks the iteration (a consumer deleted, a node lost, a bug), it is
   * logged and started again: replication never stops silently.
   */
  async #consumeLoop(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.#closed) {
      try {
        const consumer = await this.#js!.consumers.get(NATS.stream, this.#durableName);
        // Pull requests expire after 5 s (default 30 s): when the NATS node holding
        // the consumer dies, the client notices the missed heartbeats and pulls
        // from the new leader within seconds, not half a minute.
        const messages = await consumer.consume({ max_messages: CONSUME_BATCH, expires: PULL_EXPIRES_MS });
        this.#messages = messages;
        if (this.#closed) messages.stop();
        for await (const msg of messages) {
          this.#queue.push(msg);
          void this.#drain();
          delay = RETRY_MIN_MS;
        }
        if (!this.#closed) console.warn('mesh: the NATS consumer ended; starting it again');
      } catch (err) {
        if (!this.#closed) console.error(`mesh: the NATS consumer stopped (${(err as Error).message}); starting it again`);
      }
      if (this.#closed) return;
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
      try {
        await this.#ensureConsumer(this.#jsm!);
      } catch {
        /* retried with the next round */
      }
    }
  }

  /** Takes queued messages in batches: ingest (durable), then ack each message whose op is durable. */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#queue.splice(0, CONSUME_BATCH);
        this.stats.opsReceived += batch.length;
        const durable = this.#node!.versionVector();
        const byOrigin = new Map<string, Op[]>();
        for (const msg of batch) {
          const op = this.#takeOp(msg);
          if (!op) continue;
          // Our own, or already durable here: nothing to do but say so.
          if (op.origin === this.#self || op.seq <= (durable[op.origin] ?? 0)) {
            msg.ack();
            continue;
          }
          this.#unacked.set(msg.seq, { msg, origin: op.origin, seq: op.seq });
          let list = byOrigin.get(op.origin);
          if (!list) byOrigin.set(op.origin, (list = []));
          list.push(op);
        }
        try {
          await Promise.all([...byOrigin].map(([origin, ops]) => this.#node!.receiveOps(ops, origin)));
        } finally {
          this.#ackDurable();
        }
      }
    } catch (err) {
      // Not acked: the consumer redelivers after ack_wait.
      if (!this.#closed) this.#warn('store', `mesh: could not store ops from NATS (${(err as Error).message}); they come again after ack_wait`);
    } finally {
      this.#draining = false;
    }
  }

  /** The op of a consumed message, or undefined (then the message is terminated: it will never be good). */
  #takeOp(msg: JsMsg): Op | undefined {
    let op: Op | undefined;
    try {
      op = this.#readOp(msg.subject, msg.data, msg.headers);
    } catch (err) {
      this.stats.dropped++;
      this.#warn('op', `mesh: skipping a malformed op in the NATS stream (seq ${msg.seq}: ${describe(err)})`);
    }
    if (!op) msg.term();
    return op;
  }

  /**
   * Parses (and with a secret, first authenticates) an op message. Returns
   * undefined for a refused one; throws for a malformed one.
   */
  #readOp(subject: string, data: Uint8Array, h: MsgHdrs | undefined): Op | undefined {
    if (this.#signer) {
      const verdict = this.#signer.verify(subject, data, h?.get(NATS_MAC_HEADER) || undefined);
      if (verdict !== 'ok') return this.#refuse('op', `an op on ${subject} (${verdict})`);
    }
    const op = parseOp(codec.decode(data));
    if (NATS.opsSubject(op.origin) !== subject) return this.#refuse('op', `an op of ${op.origin} on ${subject}`);
    return op;
  }

  /** Acks every delivered message whose op is now durable here. */
  #ackDurable(): void {
    if (this.#unacked.size === 0) return;
    const durable = this.#node!.versionVector();
    for (const [streamSeq, pending] of this.#unacked) {
      if (pending.seq > (durable[pending.origin] ?? 0)) continue;
      pending.msg.ack();
      this.#unacked.delete(streamSeq);
    }
  }

  /** Fills the gap of every origin of which an op is held back, waiting for its predecessor. */
  async #fillGaps(): Promise<void> {
    if (this.#closed || !this.#jsm) return;
    if (this.#filling) {
      this.#fillAgain = true;
      return;
    }
    this.#filling = true;
    try {
      do {
        this.#fillAgain = false;
        const durable = this.#node!.versionVector();
        const now = Date.now();
        const origins = new Set<string>();
        for (const p of this.#unacked.values()) {
          if (p.seq > (durable[p.origin] ?? 0) && now >= (this.#fillBackoff.get(p.origin)?.until ?? 0)) origins.add(p.origin);
        }
        for (const origin of origins) {
          const before = this.#node!.versionVector()[origin] ?? 0;
          await this.#fill(origin);
          // A missing op that is not in the stream yet (its origin has still
          // to republish it): ask again, but less and less often.
          if ((this.#node!.versionVector()[origin] ?? 0) > before) this.#fillBackoff.delete(origin);
          else {
            const delay = Math.min((this.#fillBackoff.get(origin)?.delay ?? RETRY_MIN_MS) * 2, FILL_BACKOFF_MAX_MS);
            this.#fillBackoff.set(origin, { delay, until: Date.now() + delay });
          }
        }
      } while (this.#fillAgain && !this.#closed);
    } catch (err) {
      // The gap timer asks again while the gap lasts.
      if (!this.#closed) this.#warn('fill', `mesh: filling a gap from the NATS stream failed (${(err as Error).message}); will retry`);
    } finally {
      this.#filling = false;
    }
  }

  /**
   * At start: an origin whose last op in the stream is beyond what is held
   * here has a gap at its tail (nothing later would reveal it; its unacked
   * deliveries would come again only after ack_wait): fill it.
   */
  async #fillTails(): Promise<void> {
    try {
      // Only once the consumer has delivered what it has: before that, the
      // consumer itself brings the tails, and reading them twice is waste.
      while (!this.#closed && (await this.#jsm!.consumers.info(NATS.stream, this.#durableName)).num_pending > 0) await sleep(1000);
      const info = await this.#jsm!.streams.info(NATS.stream, { subjects_filter: NATS.opsWildcard });
      for (const subject of Object.keys(info.state.subjects ?? {})) {
        const origin = subject.slice(NATS.opsSubject('').length);
        if (this.#closed || origin === this.#self) continue;
        const msg = await this.#jsm!.streams.getMessage(NATS.stream, { last_by_subj: subject });
        let op: Op | undefined;
        try {
          op = this.#readOp(msg.subject, msg.data, msg.header);
        } catch {
          continue;
        }
        if (op && op.seq > (this.#node!.versionVector()[origin] ?? 0)) await this.#fill(origin);
      }
    } catch (err) {
      if (!this.#closed) this.#warn('fill', `mesh: checking the NATS stream for gaps failed (${(err as Error).message})`);
    }
  }

  /**
   * Reads origin's subject from this consumer's ack floor to its end and
   * takes in what is not held here. Below the ack floor every message was
   * acked, and a message is acked only once its op is durable here, so
   * nothing missing can be there.
   */
  async #fill(origin: string): Promise<void> {
    const jsm = this.#jsm!;
    const subject = NATS.opsSubject(origin);
    const floor = (await jsm.consumers.info(NATS.stream, this.#durableName)).ack_floor.stream_seq;
    const last = (await jsm.streams.getMessage(NATS.stream, { last_by_subj: subject })).seq;
    if (last <= floor) return;
    const reader = await this.#js!.consumers.get(NATS.stream, {
      filterSubjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: floor + 1,
    });
    try {
      for (let done = false; !done && !this.#closed;) {
        const messages = await reader.fetch({ max_messages: CONSUME_BATCH, expires: PULL_EXPIRES_MS });
        const durable = this.#node!.versionVector();
        const ops: Op[] = [];
        let got = 0;
        for await (const msg of messages) {
          got++;
          let op: Op | undefined;
          try {
            op = this.#readOp(msg.subject, msg.data, msg.headers);
          } catch {
            this.stats.dropped++;
          }
          if (op && op.seq > (durable[origin] ?? 0)) ops.push(op);
          if (msg.info.pending === 0 || msg.seq >= last) {
            done = true;
            break;
          }
        }
        if (got === 0) break;
        if (ops.length > 0) {
          this.stats.gapFilled += ops.length;
          await this.#node!.receiveOps(ops, origin);
        }
        this.#ackDurable();
      }
    } finally {
      await reader.delete().catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ soft state

  #publish(subject: string, value: unknown): void {
    const nc = this.#nc;
    if (!nc || nc.isClosed() || this.#closed) return;
    try {
      const data = codec.encode(value);
      if (this.#signer) {
        const at = Date.now();
        const h = natsHeaders();
        h.set(NATS_AT_HEADER, String(at));
        h.set(NATS_MAC_HEADER, this.#signer.sign(subject, data, at));
        nc.publish(subject, data, { headers: h });
      } else {
        nc.publish(subject, data);
      }
    } catch {
      /* disconnected: soft state, repaired by the next snapshot */
    }
  }

  /** A subscription callback that never throws (a throw would stop the NATS client's reader). */
  #guarded(kind: string, handle: (msg: Msg) => void): (err: NatsError | null, msg: Msg) => void {
    return (err, msg) => {
      if (err || this.#closed) return;
      try {
        handle(msg);
      } catch (e) {
        this.stats.dropped++;
        this.#warn(kind, `mesh: dropped a ${kind} message from NATS that could not be handled (${describe(e)})`);
      }
    };
  }

  /** The decoded payload of a soft-state message, or undefined if it is refused. */
  #soft(kind: string, msg: Msg): unknown {
    if (this.#signer) {
      // Soft state always carries its sending time: without one, the MAC would be an op's.
      const at = msg.headers?.get(NATS_AT_HEADER) || '-';
      const verdict = this.#signer.verify(msg.subject, msg.data, msg.headers?.get(NATS_MAC_HEADER) || undefined, at, Date.now());
      if (verdict !== 'ok') return this.#refuse(kind, `a ${kind} message (${verdict})`);
    }
    return safeDecode(msg.data);
  }

  #heartbeat(): void {
    // Also a sweep: an op that became durable by another path (gap filling) has its delivery acked.
    this.#ackDurable();
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

  #onHeartbeat(msg: Msg): void {
    const value = this.#soft('heartbeat', msg);
    if (value === undefined) return;
    const r = Heartbeat.safeParse(value);
    if (!r.success || r.data.trackerId === this.#self) return;
    const isNew = !this.#seen.has(r.data.trackerId);
    this.#seen.set(r.data.trackerId, Date.now());
    if (!isNew) return;
    this.stats.trackers = this.#seen.size;
    this.#node!.trackerUp(r.data.trackerId, r.data.urls);
    // A tracker appeared (or came back): tell it who holds what here.
    this.publishPresence(this.#node!.presenceSnapshot());
  }

  #onPresence(msg: Msg): void {
    const value = this.#soft('presence', msg);
    if (value === undefined) return;
    const r = NatsPresence.safeParse(value);
    if (!r.success || r.data.from === this.#self) return;
    this.#node!.receivePresence(r.data.message, r.data.from);
  }

  #onSignal(msg: Msg): void {
    const value = this.#soft('signal', msg);
    if (value === undefined) return;
    const r = SignalMessage.safeParse(value);
    if (r.success) this.#node!.receiveSignal(r.data);
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (status.type === Events.Reconnect && this.#jsm) this.#republish();
      }
    } catch (err) {
      if (!this.#closed) console.error(`mesh: NATS status watch ended (${(err as Error).message})`);
    }
  }

  // ------------------------------------------------------------ helpers

  /** Counts and (once in a while) logs a refused message; always undefined. */
  #refuse(kind: string, what: string): undefined {
    this.stats.refused++;
    this.#warn(`refused-${kind}`, `mesh: refused ${what} on NATS`);
    return undefined;
  }

  /** At most one line per kind per WARN_EVERY_MS, saying how many were not logged. */
  #warn(kind: string, text: string): void {
    const now = Date.now();
    const last = this.#lastWarn.get(kind);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.suppressed++;
      return;
    }
    const more = last?.suppressed ? ` (and ${last.suppressed} more since the last report)` : '';
    this.#lastWarn.set(kind, { at: now, suppressed: 0 });
    console.warn(text + more);
  }

  /** Runs `step` until it succeeds or the bus closes (then undefined), with bounded backoff. */
  async #retry<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    let delay = RETRY_MIN_MS;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) return undefined;
      try {
        return await step();
      } catch (err) {
        if (this.#closed) return undefined;
        console.warn(`mesh: ${what} failed (attempt ${attempt}: ${(err as Error).message}); retrying in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}

/** An error's message for a log line, whatever was thrown (a hostile value's toString may itself throw). */
function describe(err: unknown): string {
  try {
    return String((err as Error).message).slice(0, 200);
  } catch {
    return 'an unprintable error';
  }
}

function safeDecode(data: Uint8Array): unknown {
  try {
    return codec.decode(data);
  } catch {
    return undefined;
  }
}
