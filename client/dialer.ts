/**
 * How a swarm's links come to be, and which are open. A downloader dials the
 * holders the tracker names (get_holders, then holders_changed), within the
 * per-file cap; anyone accepts a peer that dials it, up to the cap, and
 * answers "busy" beyond it, so the dialler gives up at once instead of
 * waiting out its connect timeout. Signals travel through the tracker in an
 * envelope naming the connection (protocol/signal.ts), so both ends of a
 * simultaneous dial agree which connection survives (the dial of the smaller
 * presence id), and the late signals of a closed connection are ignored.
 * A peer that dials again while a dial of theirs we accepted is still not
 * open gave up on that one: it gives way to the new dial.
 */
import { Bitfield, base64ToBytes } from '../protocol/bitfield.ts';
import { asConnId, type ConnId, type InstanceId, type PresenceId } from '../protocol/ids.ts';
import { parseSignalEnvelope, type SignalEnvelope } from '../protocol/signal.ts';
import { PeerLink, type LinkHost } from './peer-link.ts';
import type { PeerConnector, SwarmTracker } from './ports.ts';

/** A holder we failed to reach is tried again after this. */
const REDIAL_MS = 5_000;
/**
 * A redial after dials whose transport failed (no channel came up) waits
 * only this long, doubling with each failure in a row up to REDIAL_MS: such
 * a failure is often a moment's (node-datachannel now and then refuses a
 * remote candidate that arrives with the answer, sometimes twice running),
 * and waiting REDIAL_MS for it left a holder unused for most of a short
 * download. One housekeeping tick (client/swarm.ts TICK_MS).
 */
const REDIAL_SOON_MS = 500;
/** How long after its last dial a holder may be dialled again: 500 ms, 1 s, 2 s, 4 s, then 5 s after failed transports. */
export function redialDelay(failedDials: number): number {
  return failedDials > 0 ? Math.min(REDIAL_SOON_MS * 2 ** (failedDials - 1), REDIAL_MS) : REDIAL_MS;
}
/** Closed connection ids remembered: plenty for the signals still in flight when a link ends. */
const CLOSED_CONNS_KEPT = 256;

/** Counts dialers made in this runtime: see Dialer's #serial. */
let dialerSerial = 0;

export interface DialerOptions {
  fileId: string;
  pieceCount: number;
  instanceId: InstanceId;
  tracker: SwarmTracker;
  connector: PeerConnector;
  /** The per-file cap on open links. */
  maxPeers: () => number;
  now: () => number;
  connectTimeoutMs: number;
  /** Presence ids dropped for bad pieces: neither dialled nor heard. */
  banned: ReadonlySet<PresenceId>;
  /** Every link made is wired to this host (the swarm). */
  host: LinkHost;
}

interface Holder {
  userId: string;
  hasPieces: boolean;
  lastDial: number;
  /** Our dials to it in a row whose transport failed before a channel opened; 0 once one opens. */
  failedDials: number;
}

export class Dialer {
  readonly #o: DialerOptions;
  /** Links not closed, by connection id. */
  #links = new Map<ConnId, PeerLink>();
  /** Holders known from the tracker. */
  #holders = new Map<PresenceId, Holder>();
  /** Recently closed connection ids, so their stragglers are ignored. */
  #closedConns = new Set<ConnId>();
  #nextConn = 0;
  /**
   * Distinguishes this dialer's connection ids from those of an earlier swarm
   * of the same file in this engine (download, remove, download again): the
   * other side remembers closed ids and ignores their late signals.
   */
  readonly #serial = ++dialerSerial;

  constructor(options: DialerOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#links.size;
  }
  get holderCount(): number {
    return this.#holders.size;
  }
  get closedCount(): number {
    return this.#closedConns.size;
  }
  links(): IterableIterator<PeerLink> {
    return this.#links.values();
  }
  get(conn: ConnId): PeerLink | undefined {
    return this.#links.get(conn);
  }

  /** A holder from get_holders or holders_changed. */
  noteHolder(peerId: PresenceId, userId: string, bitfield: string): void {
    let hasPieces = false;
    try {
      hasPieces = !new Bitfield(this.#o.pieceCount, base64ToBytes(bitfield)).isEmpty();
    } catch {
      /* a bitfield we cannot read: treat as empty */
    }
    const known = this.#holders.get(peerId);
    this.#holders.set(peerId, { userId, hasPieces, lastDial: known?.lastDial ?? -Infinity, failedDials: known?.failedDials ?? 0 });
  }

  forgetHolder(peerId: PresenceId): void {
    this.#holders.delete(peerId);
  }

  /** A holder with pieces we are not linked to and may dial: someone online may still have what we lack. */
  hasHolderToDial(): boolean {
    for (const [peerId, h] of this.#holders) {
      if (h.hasPieces && peerId !== this.#o.tracker.peerId && !this.#o.banned.has(peerId) && !this.#linkedTo(peerId)) return true;
    }
    return false;
  }

  /** Dials holders with pieces we are not linked to, within the cap. Only a downloader dials: the caller decides. */
  dialHolders(): void {
    const now = this.#o.now();
    for (const [peerId, h] of this.#holders) {
      if (this.#links.size >= this.#o.maxPeers()) return;
      if (!h.hasPieces || peerId === this.#o.tracker.peerId || this.#o.banned.has(peerId)) continue;
      if (now - h.lastDial < redialDelay(h.failedDials)) continue;
      if (this.#linkedTo(peerId)) continue;
      h.lastDial = now;
      this.#open(peerId, h.userId, true, asConnId(`${this.#o.instanceId.slice(0, 12)}-${this.#serial}-${this.#nextConn++}`));
    }
  }

  /** A tracker `signal` event for this file. */
  onSignal(from: PresenceId, fromUser: string, raw: unknown): void {
    const data = parseSignalEnvelope(raw);
    if (!data || this.#o.banned.has(from)) return;
    const existing = this.#links.get(data.conn);
    if (existing) {
      if (existing.peerId !== from) return;
      if (data.busy) existing.close('the peer is at its connection cap');
      else existing.signal(data.data);
      return;
    }
    if (data.busy) return;
    // A late signal (a trailing ICE candidate) of a connection that is gone must not start a new one.
    if (this.#closedConns.has(data.conn)) return;
    // A new connection dialled by them. If we are dialling them too, the dial of the
    // smaller peer id wins on both sides, so exactly one connection survives.
    const mine = this.#dialingTo(from);
    if (mine) {
      if ((this.#o.tracker.peerId ?? '') < from) return;
      mine.close();
    }
    // A dial of theirs we accepted and that never opened: they dial again because theirs failed,
    // so ours waits for nothing. It gives way (it is no dial of ours: the rule above is not for it).
    const stale = this.#acceptedNotOpen(from);
    if (stale) stale.close('they dialled again');
    if (this.#links.size >= this.#o.maxPeers()) {
      // Full: say so, rather than let their dial wait out its connect timeout.
      this.#remember(data.conn);
      const busy: SignalEnvelope = { conn: data.conn, data: null, busy: true };
      this.#o.tracker.signal(this.#o.fileId, from, busy).catch(() => undefined);
      return;
    }
    this.#open(from, fromUser, false, data.conn).signal(data.data);
  }

  /** A link closed (the swarm, its host, tells us): it is forgotten, its id remembered. */
  forget(link: PeerLink): void {
    if (this.#links.get(link.conn) !== link) return;
    this.#links.delete(link.conn);
    this.#remember(link.conn);
    const holder = link.initiator ? this.#holders.get(link.peerId) : undefined;
    if (holder) holder.failedDials = link.foundNoPath ? holder.failedDials + 1 : 0;
  }

  /** Hangs up on, and forgets as holders, the peers whose user is not in `members`. */
  dropOutside(members: ReadonlySet<string>, reason: string): void {
    for (const link of [...this.#links.values()]) if (!members.has(link.userId)) link.close(reason);
    for (const [peerId, h] of this.#holders) if (!members.has(h.userId)) this.#holders.delete(peerId);
  }

  closeAll(): void {
    for (const link of [...this.#links.values()]) link.close();
  }

  #open(peerId: PresenceId, userId: string, initiator: boolean, conn: ConnId): PeerLink {
    const o = this.#o;
    const link = new PeerLink(
      {
        conn,
        peerId,
        userId,
        initiator,
        connector: o.connector,
        iceServers: o.tracker.iceServers,
        signal: (to, envelope) => o.tracker.signal(o.fileId, to, envelope),
        connectTimeoutMs: o.connectTimeoutMs,
      },
      o.host,
    );
    // A link that failed at once (its transport threw) is already closed: do not keep it.
    if (link.state !== 'closed') this.#links.set(conn, link);
    return link;
  }

  #linkedTo(peerId: PresenceId): boolean {
    for (const l of this.#links.values()) if (l.peerId === peerId) return true;
    return false;
  }

  /**
   * Our own dial to the peer, its channel not open yet. Only ours: a dial of
   * theirs we accepted is no simultaneous dial, and taking it for one made a
   * side with the smaller id ignore the peer's redial after its first dial
   * failed, until the connect timeout (the undialled holder of issue 12).
   */
  #dialingTo(peerId: PresenceId): PeerLink | undefined {
    for (const l of this.#links.values()) if (l.peerId === peerId && l.initiator && l.state === 'dialing') return l;
    return undefined;
  }

  /** A dial of theirs we accepted whose channel is not open yet. */
  #acceptedNotOpen(peerId: PresenceId): PeerLink | undefined {
    for (const l of this.#links.values()) if (l.peerId === peerId && !l.initiator && l.state === 'dialing') return l;
    return undefined;
  }

  #remember(conn: ConnId): void {
    this.#closedConns.add(conn);
    if (this.#closedConns.size > CLOSED_CONNS_KEPT) this.#closedConns.delete(this.#closedConns.values().next().value!);
  }
}

