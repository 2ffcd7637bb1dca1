/**
 * One tracker's heart, without sockets: the replica (ops and state), the
 * durable log, the clock, presence, and the clients connected here
 * (clients.ts). Handlers turn requests into ops with `commit` (the request
 * pipeline, pipeline.ts, hands them the request's key to stamp); the mesh
 * feeds other trackers' ops in with `ingest`. Both paths tell the right
 * people through `eventsFor`.
 */
import type { Op, OpBody, VersionVector } from '../protocol/ops.ts';
import type { Reply, TrackerEvent, IceServer } from '../protocol/tracker.ts';
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import { Clients } from './clients.ts';
import { HolderCounts } from './holder-counts.ts';
import { HybridClock } from './clock.ts';
import { eventsFor } from './events.ts';
import { Presence } from './presence.ts';
import type { Few } from './few.ts';
import { Replica } from './state/replica.ts';
import { liveSession } from './state/queries.ts';
import { needsRenewal } from './state/sessions.ts';
import type { State } from './state/model.ts';
import { OpLog } from './store/oplog.ts';
import type { DurableLog, OpenedLog } from './store/durable-log.ts';
import type { ScryptCost } from './auth.ts';
import { RequestLedger } from './request-ledger.ts';
import type { Quotas } from './quotas.ts';
import { ConnectionOutcomes } from './connection-outcomes.ts';

export interface CoreConfig {
  /** This tracker's name: the origin of its ops. Stable across restarts. */
  trackerId: string;
  /** The name people see for it (--name); absent: hello names none and the app shows the tracker's address. */
  name?: string;
  dataDir: string;
  scrypt: ScryptCost;
  iceServers: IceServer[];
  /** Public WebSocket URLs of every tracker (this one included), for client failover. */
  publicUrls: string[];
  /** Take a snapshot after this many appended ops. */
  snapshotEvery: number;
  /** Limits per user and per group the handlers enforce (default DEFAULT_QUOTAS). */
  quotas?: Quotas;
  /** --trust-proxy: addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (gateway/client-address.ts). */
  trustProxy?: string[];
  /** Session lifetimes (default SESSION_IDLE_MS, SESSION_MAX_MS), stamped into each session_opened. */
  sessionIdleMs?: number;
  sessionMaxMs?: number;
  /** How often connected sessions are renewed or ended (default a minute; tests shorten it). */
  sessionCheckMs?: number;
  /** Sign-ups per address at once, then one a minute (default SIGNUP_BURST); 0: no limit. */
  signupBurst?: number;
  /** TURN for signed-in users (turn-credentials.ts): URLs, coturn's static-auth-secret, credential lifetime. */
  turnUrls?: string[];
  turnSecret?: string;
  turnTtlMs?: number;
}

/** What the core needs of a connected client: the gateway's connection implements it. */
export interface ClientLink {
  readonly peerId: string;
  readonly address: string;
  /** The client instance's secret (hello's `client`, or one per connection): scopes its request ids. */
  readonly requestScope: string;
  session: { userId: string; userKey: string; tokenHash: string } | undefined;
  /** Files this client asked get_holders for: it hears holders_changed for them (few.ts: usually one, held bare). */
  watching: Few<string>;
  /** The ICE servers hello gave this connection (STUN only); signed in, TURN is added to them. */
  readonly iceServers?: IceServer[];
  send(message: Reply | TrackerEvent): void;
  /** Sends a frame already written (a relayed signal, signals-frame.ts `signalEventText`). */
  sendText(text: string): void;
}

export type OpListener = (ops: readonly Op[], fromMesh: boolean) => void;

const ignore = () => undefined;

const cannotSave = () => new MeshdropError(ErrorCode.Unavailable, 'the tracker cannot save right now; try again later');

export class TrackerCore {
  readonly config: CoreConfig;
  /** Soft state: who holds what; it tells its own changes to whoever listens (clients' watchers, the mesh). */
  readonly presence: Presence;
  /** The clients connected here: sessions, watches, signal routes. */
  readonly clients: Clients;
  /** Files' holders-online counts, pushed to their groups as presence changes (holder-counts.ts). */
  readonly holderCounts: HolderCounts;
  readonly clock = new HybridClock();
  /** Peer connection outcomes clients reported (connection_outcome), for /metrics. */
  readonly outcomes = new ConnectionOutcomes();
  #replica: Replica;
  #log: DurableLog;
  #seq: number;
  #opListeners = new Set<OpListener>();
  #snapshotting: Promise<void> | null = null;
  /** Which client requests have made ops, here or on any tracker: retries are answered, not re-applied. */
  readonly requests = new RequestLedger();
  /** Per origin, the last op on disk here; and how many ops are: what /metrics counts. */
  #durable: VersionVector;
  #durableOps: number;
  /** Ops applied but not yet durable, and a promise settled once the last of them is (either way). */
  #unsaved = 0;
  #lastWrite: Promise<void> = Promise.resolve();
  /** Request ids of replicated ops applied but not yet durable: a retry waits to learn whether they stand. */
  #unsavedRequests = new Map<string, Promise<void>>();
  /** Once a minute (sessionCheckMs): connected sessions are renewed when due, those whose lifetime ran out are ended. */
  #expiry: NodeJS.Timeout;

  private constructor(config: CoreConfig, replica: Replica, log: DurableLog) {
    this.config = config;
    this.presence = new Presence(config.trackerId);
    this.clients = new Clients(config.trackerId, this.presence, () => this.state);
    this.holderCounts = new HolderCounts(this.presence, () => this.state, (to, event) => this.clients.pushToUsers(to, event));
    this.#replica = replica;
    this.#log = log;
    this.requests.record(replica.allOps());
    this.#seq = replica.versionVector()[config.trackerId] ?? 0;
    this.#durable = replica.versionVector();
    this.#durableOps = replica.size;
    // A log written before the clock bound may hold an op stamped far ahead:
    // kept (it is durable and replicated), but it must not drag the clock.
    if (!this.clock.observe(replica.maxHlc)) {
      console.warn(`clock: the log holds an op stamped ${Math.round((replica.maxHlc / 1000 - Date.now()) / 1000)} s ahead; the clock does not follow it`);
    }
    log.onDropped = (ops) => this.#takeBack(ops);
    this.#expiry = setInterval(() => this.#sessionRound(), config.sessionCheckMs ?? 60_000).unref();
  }

  /**
   * Opens the data dir (or the log `openLog` gives: tests pass one in memory),
   * replays snapshot and log, and returns a ready core.
   */
  static async open(
    config: CoreConfig,
    openLog: (dataDir: string) => Promise<OpenedLog> = (dir) => OpLog.open(dir),
  ): Promise<{ core: TrackerCore; tornBytes: number }> {
    const { log, recovered } = await openLog(config.dataDir);
    for (const repair of recovered.repairs) console.warn(`op log repaired at start-up: ${repair}`);
    const replica = new Replica();
    if (recovered.snapshot) replica.addMany(recovered.snapshot.ops);
    replica.addMany(recovered.tail);
    return { core: new TrackerCore(config, replica, log), tornBytes: recovered.tornBytes };
  }

  get trackerId(): string {
    return this.config.trackerId;
  }
  get state(): State {
    return this.#replica.state;
  }
  get replica(): Replica {
    return this.#replica;
  }
  /** Per origin, the last op that is durable here (the replica may hold ops still being written). */
  durableVersionVector(): VersionVector {
    return { ...this.#durable };
  }
  /** How many ops are durable here. */
  get durableOps(): number {
    return this.#durableOps;
  }
  /** The last write to disk failed (full disk): writes are refused until one succeeds. */
  get storageFailing(): boolean {
    return this.#log.failing;
  }

  /**
   * Makes an op of this tracker's, applies it, and resolves once it is
   * durable, having told the mesh and the people it concerns. Validation is
   * the caller's, done synchronously before: nothing can slip in between the
   * check and the apply, so two racing requests cannot both take a name.
   *
   * Applied at once (so the next validation sees it), but nothing else
   * happens before the fsync: no reply, no event, no mesh publication, no
   * entry in the request ledger. If the write fails, the op is taken back out
   * (see #takeBack) and the request fails with `unavailable`; while the disk
   * keeps failing, writes are refused at once and the disk is tried again at
   * most every STORAGE_RETRY_MS (oplog.ts).
   *
   * `requestKey`: the key of the client request this op is made for
   * (request-ledger.ts `requestKey`, handed to the handler by the pipeline),
   * so a retry of that request is answered from the op; none for the
   * tracker's own ops (a session renewal round).
   */
  async commit(body: OpBody, requestKey?: string): Promise<{ op: Op; effective: boolean }> {
    if (this.#log.refusing) throw cannotSave();
    const op: Op = { ...body, origin: this.trackerId, seq: ++this.#seq, hlc: this.clock.stamp(), ...(requestKey ? { rid: requestKey } : {}) };
    const result = this.#replica.add(op);
    try {
      await this.#write([op]);
    } catch (err) {
      console.error(`tracker: could not save an op (${(err as Error).message}); refusing writes until the disk takes them again`);
      throw cannotSave();
    }
    this.#saved([op]);
    const effective = result === 'applied' || result === 'refolded';
    this.#afterApply([op], false, result === 'refolded');
    this.#maybeSnapshot();
    return { op, effective };
  }

  /**
   * Ops from other trackers: applied, persisted, then announced locally.
   * Resolves with those that were new, once durable; rejects (having taken
   * them back out) if they cannot be saved, so the mesh neither acknowledges
   * nor counts them and asks for them again later.
   */
  async ingest(ops: readonly Op[]): Promise<Op[]> {
    const fresh = ops.filter((op) => !this.#replica.has(op));
    if (fresh.length === 0) return [];
    if (this.#log.refusing) throw cannotSave();
    // The mesh refused ops too far ahead before this (receiveOps); any left is only not observed.
    for (const op of fresh) this.clock.observe(op.hlc);
    const lastBefore = this.#replica.allOps().at(-1);
    this.#replica.addMany(fresh);
    const refolded = lastBefore !== undefined && fresh.some((op) => op.hlc < lastBefore.hlc);
    try {
      await this.#write(fresh, true);
    } catch (err) {
      console.error(`tracker: could not save ${fresh.length} replicated ops (${(err as Error).message}); the mesh will send them again`);
      throw cannotSave();
    }
    this.#saved(fresh);
    this.#afterApply(fresh, true, refolded);
    this.#maybeSnapshot();
    return fresh;
  }

  /**
   * A replicated op made for this request is being written here: a retry
   * waits for it (once durable it is answered from it; if the write failed,
   * it runs afresh). Undefined: nothing to wait for.
   */
  unsavedRequest(requestKey: string): Promise<void> | undefined {
    return this.#unsavedRequests.get(requestKey);
  }

  /**
   * Settles once every write on its way to disk now has settled; undefined
   * when none is. A read waits for it, so nobody sees an op that may yet be
   * taken back.
   */
  writesInFlight(): Promise<void> | undefined {
    return this.#unsaved > 0 ? this.#lastWrite : undefined;
  }

  /** Public URLs learned from other trackers of the mesh: the hello reply lists them for failover. */
  addPublicUrls(urls: readonly string[]): void {
    for (const url of urls) if (!this.config.publicUrls.includes(url)) this.config.publicUrls.push(url);
  }

  onOps(listener: OpListener): () => void {
    this.#opListeners.add(listener);
    return () => this.#opListeners.delete(listener);
  }

  // ------------------------------------------------------------ internals

  /**
   * Appends ops applied just now; counts them as unsaved until their write
   * settles. Replicated ones (`fromMesh`) also note their request ids: a
   * local request's retry already waits for its first attempt (the ledger's
   * in-flight map), a replicated one's must wait here.
   */
  #write(ops: readonly Op[], fromMesh = false): Promise<unknown> {
    const done = ops.length === 1 ? this.#log.append(ops[0]!) : Promise.all(ops.map((op) => this.#log.append(op)));
    this.#unsaved += ops.length;
    const settled = done.then(ignore, ignore).then(() => {
      this.#unsaved -= ops.length;
      for (const op of ops) if (op.rid !== undefined && this.#unsavedRequests.get(op.rid) === settled) this.#unsavedRequests.delete(op.rid);
    });
    this.#lastWrite = settled;
    if (fromMesh) for (const op of ops) if (op.rid !== undefined && !this.#unsavedRequests.has(op.rid)) this.#unsavedRequests.set(op.rid, settled);
    return done;
  }

  /** Ops now on disk: from here on they count, and retries of their requests are answered from them. */
  #saved(ops: readonly Op[]): void {
    this.requests.record(ops);
    this.#durableOps += ops.length;
    for (const op of ops) if (op.seq > (this.#durable[op.origin] ?? 0)) this.#durable[op.origin] = op.seq;
  }

  /**
   * A write failed: the log dropped these ops (every one not yet durable).
   * Called synchronously at the failure, before anything else runs: the ops
   * leave the replica (one refold) and this tracker's numbering goes back to
   * its last durable op, so the next op takes the first free seq and no
   * tracker ever sees a hole or two ops with one number. None of them was
   * replied to, published or recorded for dedupe; ops from the mesh are not
   * counted either, so catch-up brings them again.
   */
  #takeBack(ops: readonly Op[]): void {
    this.#replica.remove(ops);
    this.#seq = this.#replica.versionVector()[this.trackerId] ?? 0;
  }

  #afterApply(ops: readonly Op[], fromMesh: boolean, refolded: boolean): void {
    for (const listener of this.#opListeners) listener(ops, fromMesh);
    for (const op of ops) {
      // Every tracker drops the file's holdings as the op reaches it; Presence tells watchers (and the mesh, for peers here).
      if (op.kind === 'share_stopped') this.presence.dropFile(op.fileId);
      for (const d of eventsFor(op, this.state, (id) => this.presence.onlineCounts(id))) this.clients.pushToUsers(d.to, d.event);
    }
    const revokes = ops.some((op) => op.kind === 'session_revoked' || op.kind === 'user_sessions_revoked');
    if (refolded || revokes) this.clients.revalidateSessions();
    // A new session past the per-user cap ends that user's oldest: only their clients need a look.
    else for (const op of ops) if (op.kind === 'session_opened') this.clients.revalidateSessions(op.userId);
    // A refold can take anyone out of any group (a name or a group lost to an
    // earlier creation): check everyone. Otherwise only those who left or were removed.
    const outgoing = refolded ? null : usersLeaving(ops);
    if (outgoing === null || outgoing.size > 0) this.clients.endPresenceOfOutsiders(outgoing);
  }

  /**
   * An open tab is a session in use, though it may not resume for weeks:
   * its renewal is written here when due (once per session, however many
   * tabs share it), so only the absolute lifetime ends a session left open.
   */
  #sessionRound(): void {
    const now = Date.now();
    const due = new Set<string>();
    for (const client of this.clients.all()) {
      const hash = client.session?.tokenHash;
      const record = hash === undefined ? undefined : liveSession(this.state, hash, now);
      if (hash !== undefined && record && needsRenewal(record, now)) due.add(hash);
    }
    for (const tokenHash of due) {
      this.commit({ kind: 'session_renewed', tokenHash }).catch((err) => console.error(`session renewal failed: ${(err as Error).message}`));
    }
    this.clients.revalidateSessions();
  }

  #maybeSnapshot(): void {
    if (this.#log.failing) return; // it would only fill what little space is left
    if (this.#snapshotting || this.#log.appendedSinceSnapshot < this.config.snapshotEvery) return;
    this.#snapshotting = this.#log
      .snapshot(this.#replica.allOps())
      .catch((err) => console.error(`snapshot failed: ${(err as Error).message}`))
      .finally(() => (this.#snapshotting = null));
  }

  /** Flushes the log; takes a snapshot so the next start is fast. */
  async close(): Promise<void> {
    clearInterval(this.#expiry);
    await this.#snapshotting;
    if (this.#log.appendedSinceSnapshot > 0) {
      await this.#log.snapshot(this.#replica.allOps()).catch(() => undefined);
    }
    await this.#log.close();
  }
}

/** Users whose membership an op ends: they lose their watches and holdings in that group. */
function usersLeaving(ops: readonly Op[]): Set<string> {
  const out = new Set<string>();
  for (const op of ops) {
    if (op.kind === 'member_left') out.add(op.by);
    else if (op.kind === 'member_removed') out.add(op.userId);
  }
  return out;
}
