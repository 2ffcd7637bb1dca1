/**
 * The tracker's side of the mesh, whatever the transport: it publishes the
 * ops, presence and signals of this tracker on the bus, and takes in those of
 * the others.
 *
 * Ops: an op is published once it is durable here (core's onOps fires after
 * fsync), so no tracker ever learns an op its origin could still lose. Ops
 * from elsewhere are taken in order per origin: one that arrives ahead of its
 * predecessor (by another path of the mesh) waits for it, so "per origin, the
 * highest seq held" always means "every seq up to it", which is what makes
 * version-vector catch-up exact. Duplicates are dropped before the log, so an
 * op is persisted once however many paths bring it.
 *
 * Presence and signals: soft state, kept per sending tracker and dropped when
 * that tracker becomes unreachable. A signal is checked again here before it
 * reaches a local client: both sides must be members of the file's group.
 */
import { signalEventText } from '../../protocol/signals-frame.ts';
import { Bitfield, base64ToBytes } from '../../protocol/bitfield.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { MAX_REMOTE_CLOCK_AHEAD_MS } from '../../protocol/constants.ts';
import { MESH_GAP_WAIT_MS, type HoldingMessage, type PresenceMessage, type SignalMessage } from '../../protocol/mesh.ts';
import { hlcToMs, type Op, type VersionVector } from '../../protocol/ops.ts';
import type { TrackerCore } from '../core.ts';
import type { Holding } from '../presence.ts';
import { isMember } from '../state/queries.ts';
import type { Bus, MeshNode } from './bus.ts';

export class Mesh implements MeshNode {
  readonly bus: Bus;
  #core: TrackerCore;
  /** Per origin, the last op that is durable here. */
  #durable: VersionVector;
  /** Ops that came ahead of their predecessor, per origin, by seq. */
  #early = new Map<string, Map<number, Op>>();
  #gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** This tracker's peers' holdings, as last published: the snapshot for a tracker that appears. */
  #local = new Map<string, HoldingMessage>();
  /** Remote peers → files they hold, so a peer with nothing left leaves presence. */
  #remoteFiles = new Map<string, Set<string>>();
  #unsubscribe: (() => void)[] = [];
  /** Origin → when a far-ahead op of it was last logged. */
  #skewLogged = new Map<string, number>();

  constructor(core: TrackerCore, bus: Bus) {
    this.#core = core;
    this.bus = bus;
    this.#durable = core.replica.versionVector();
  }

  get trackerId(): string {
    return this.#core.trackerId;
  }

  async start(): Promise<void> {
    this.#unsubscribe.push(
      this.#core.onOps((ops, fromMesh) => this.#opsDurable(ops, fromMesh)),
      // Presence tells its own changes; only those of this tracker's peers are ours to publish.
      this.#core.presence.onChange((holding, gone, origin) => {
        if (origin === 'local') this.#localPresence(holding, gone);
      }),
    );
    this.#core.clients.remoteSignalRoute = (target, signal) => {
      if (!this.bus.sendSignal(target.trackerId, { type: 'signal', to: target.peerId, signal })) {
        throw new MeshdropError(ErrorCode.PeerOffline, 'that peer\'s tracker cannot be reached right now');
      }
    };
    await this.bus.start(this);
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#core.clients.remoteSignalRoute = undefined;
    clearTimeout(this.#gapTimer);
    await this.bus.close();
  }

  // ------------------------------------------------------------ MeshNode

  urls(): string[] {
    return [...this.#core.config.publicUrls];
  }

  versionVector(): VersionVector {
    return { ...this.#durable };
  }

  *opsAfter(vv: VersionVector): Iterable<Op> {
    for (const op of this.#core.replica.opsAfter(vv)) if (op.seq <= (this.#durable[op.origin] ?? 0)) yield op;
  }

  receiveOps(ops: readonly Op[], from: string): Promise<Op[]> {
    // All synchronous up to ingest, whose own synchronous part adds the ops to
    // the replica: the next batch sees them, whatever the fsyncs do.
    const vv = this.#core.replica.versionVector();
    const ready: Op[] = [];
    const clock = this.#core.clock;
    for (const op of ops) {
      if (op.origin === this.trackerId) continue;
      const next = (vv[op.origin] ?? 0) + 1;
      if (op.seq < next) continue;
      // Stamped too far ahead of our clock: refused as if it never came (not
      // applied, persisted, counted or forwarded). Its successors wait behind
      // it as early ops; catch-up brings it again, and it is taken once our
      // clock is within the bound of it. See MAX_REMOTE_CLOCK_AHEAD_MS.
      if (!clock.accepts(op.hlc)) {
        this.#refuseSkewed(op, from);
        continue;
      }
      if (op.seq > next) {
        let early = this.#early.get(op.origin);
        if (!early) this.#early.set(op.origin, (early = new Map()));
        early.set(op.seq, op);
        continue;
      }
      ready.push(op);
      vv[op.origin] = op.seq;
      const early = this.#early.get(op.origin);
      for (let following = early?.get(op.seq + 1); following; following = early!.get(following.seq + 1)) {
        early!.delete(following.seq);
        ready.push(following);
        vv[op.origin] = following.seq;
      }
      if (early) for (const seq of early.keys()) if (seq <= vv[op.origin]!) early.delete(seq);
      if (early?.size === 0) this.#early.delete(op.origin);
    }
    this.#watchGaps();
    if (ready.length === 0) return Promise.resolve([]);
    return this.#core.ingest(ready).then((fresh) => {
      if (fresh.length > 0) this.bus.publishOps(fresh, from);
      return fresh;
    });
  }

  receivePresence(message: PresenceMessage, from: string): void {
    const { presence } = this.#core;
    if (message.reset) this.trackerDown(from);
    for (const h of message.holdings) {
      if (h.bitfield === null) {
        presence.unannounce(h.peerId, h.fileId);
        const files = this.#remoteFiles.get(h.peerId);
        files?.delete(h.fileId);
        if (files?.size === 0) {
          this.#remoteFiles.delete(h.peerId);
          presence.removePeer(h.peerId);
        }
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = base64ToBytes(h.bitfield);
      } catch {
        continue;
      }
      if (bytes.length !== Math.ceil(h.pieces / 8)) continue;
      const known = presence.peer(h.peerId);
      if (known && known.trackerId !== from) continue; // not that tracker's peer to speak for
      if (!known) presence.addPeer({ peerId: h.peerId, userId: h.userId, trackerId: from });
      let files = this.#remoteFiles.get(h.peerId);
      if (!files) this.#remoteFiles.set(h.peerId, (files = new Set()));
      files.add(h.fileId);
      // Presence tells the file's watchers here (tagged `mesh`: not published again).
      presence.announce(h.peerId, h.fileId, new Bitfield(h.pieces, bytes));
    }
  }

  receiveSignal(message: SignalMessage): void {
    const client = this.#core.clients.local(message.to);
    const session = client?.session;
    if (!client || !session) return;
    const { state } = this.#core;
    const { signal } = message;
    const file = state.files.get(signal.fileId);
    const group = file && state.groupsByKey.get(file.groupKey);
    // The same rule as on one tracker, checked with this tracker's state too.
    if (!group || !isMember(group, session.userId) || !isMember(group, signal.fromUser)) return;
    client.sendText(signalEventText(signal.fileId, signal.from, signal.fromUser, signal.data));
  }

  trackerUp(_trackerId: string, urls: readonly string[]): void {
    this.#core.addPublicUrls(urls);
  }

  trackerDown(trackerId: string): void {
    const { presence } = this.#core;
    for (const peer of [...presence.peers()]) {
      if (peer.trackerId !== trackerId) continue;
      this.#remoteFiles.delete(peer.peerId);
      presence.removePeer(peer.peerId);
    }
  }

  presenceSnapshot(): PresenceMessage {
    return { type: 'presence', reset: true, holdings: [...this.#local.values()] };
  }

  // ------------------------------------------------------------ internals

  #opsDurable(ops: readonly Op[], fromMesh: boolean): void {
    // A stopped share's local holdings leave #local as Presence drops them (tagged `local`, so published as gone).
    for (const op of ops) if (op.seq > (this.#durable[op.origin] ?? 0)) this.#durable[op.origin] = op.seq;
    // Ops from the mesh are forwarded by receiveOps, which knows where they came from.
    if (!fromMesh) this.bus.publishOps(ops);
  }

  #localPresence(holding: Holding, gone: boolean): void {
    if (holding.peer.trackerId !== this.trackerId) return;
    const message: HoldingMessage = {
      peerId: holding.peer.peerId,
      userId: holding.peer.userId,
      fileId: holding.fileId,
      pieces: holding.bitfield.length,
      bitfield: gone ? null : holding.bitfield.toBase64(),
    };
    const key = `${message.peerId}/${message.fileId}`;
    if (gone) this.#local.delete(key);
    else this.#local.set(key, message);
    this.bus.publishPresence({ type: 'presence', reset: false, holdings: [message] });
  }

  /**
   * Logs a refused far-ahead op, at most once a minute per origin (catch-up
   * brings it again and again). The sender's operator needs to fix its clock
   * (NTP); until then its ops reach this tracker late, never wrongly.
   */
  #refuseSkewed(op: Op, from: string): void {
    const now = Date.now();
    if (now - (this.#skewLogged.get(op.origin) ?? -Infinity) < 60_000) return;
    this.#skewLogged.set(op.origin, now);
    const aheadS = Math.round((hlcToMs(op.hlc) - now) / 1000);
    console.warn(
      `mesh: refused op ${op.origin}:${op.seq} (from ${from}): stamped ${aheadS} s ahead of this tracker's clock, over the ` +
        `${MAX_REMOTE_CLOCK_AHEAD_MS / 1000} s allowed; check the clock of tracker ${op.origin} (NTP). Its later ops wait until this one is taken.`,
    );
  }

  /** An op waiting for its predecessor too long: ask the mesh again. */
  #watchGaps(): void {
    if (this.#early.size === 0 || this.#gapTimer) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      if (this.#early.size > 0) {
        this.bus.resync();
        this.#watchGaps();
      }
    }, MESH_GAP_WAIT_MS);
    this.#gapTimer.unref?.();
  }
}
