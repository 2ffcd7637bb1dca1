/**
 * The clients connected to this tracker: who is here (by peer id and by
 * user), which files each watches, and the ways to reach them (events to a
 * user's connections, a signal to a peer here or, through the mesh, on
 * another tracker). Also the rules that end a client's standing when an op
 * says so: a session that no longer stands, a membership that ended.
 *
 * Watchers hear `holders_changed` from Presence itself (`onChange`), whatever
 * made the change, so no handler or mesh path has to remember to tell them.
 */
import type { TrackerEvent } from '../protocol/tracker.ts';
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import type { Presence, Holding, PeerInfo } from './presence.ts';
import { groupOfFile, isMember, liveSession } from './state/queries.ts';
import type { State } from './state/model.ts';
import type { ClientLink } from './core.ts';
import { fewAdd, fewDelete, fewValues, type Few } from './few.ts';
import { signalEventText } from '../protocol/signals-frame.ts';
import type { SignalMessage } from '../protocol/mesh.ts';

/** A signal on its way to its receiver: for which file, from whom, and the sender's data as the JSON text it sent (never parsed here); the mesh carries the same. */
export type RelayedSignal = SignalMessage['signal'];

export class Clients {
  /** A user's connections here: nearly always one (few.ts). */
  #byUser = new Map<string, Few<ClientLink>>();
  #byPeer = new Map<string, ClientLink>();
  #watchers = new Map<string, Set<ClientLink>>();

  constructor(
    private readonly trackerId: string,
    private readonly presence: Presence,
    private readonly state: () => State,
  ) {
    presence.onChange((holding, gone) => this.#holdersChanged(holding, gone));
  }

  /**
   * The mesh sets this to carry signals to peers on other trackers; with no
   * mesh, a peer elsewhere cannot be reached.
   */
  remoteSignalRoute: ((target: PeerInfo, signal: RelayedSignal) => void) | undefined;

  /** A client said hello: it can now be reached by its peer id (it joins presence at sign-in). */
  attach(client: ClientLink): void {
    this.#byPeer.set(client.peerId, client);
  }

  detach(client: ClientLink): void {
    this.signOut(client);
    this.#byPeer.delete(client.peerId);
  }

  /** The client proved a session: it joins presence as that user and hears their events. */
  signIn(client: ClientLink, session: NonNullable<ClientLink['session']>): void {
    if (client.session) this.signOut(client);
    client.session = session;
    this.#byUser.set(session.userId, fewAdd(this.#byUser.get(session.userId), client));
    this.presence.addPeer({ peerId: client.peerId, userId: session.userId, trackerId: this.trackerId });
  }

  /** The client logged out or left: its presence goes (Presence tells watchers and the mesh), its watches end. */
  signOut(client: ClientLink): void {
    for (const fileId of fewValues(client.watching)) this.#watchers.get(fileId)?.delete(client);
    client.watching = undefined;
    this.presence.removePeer(client.peerId);
    const session = client.session;
    if (!session) return;
    client.session = undefined;
    const left = fewDelete(this.#byUser.get(session.userId), client);
    if (left === undefined) this.#byUser.delete(session.userId);
    else this.#byUser.set(session.userId, left);
  }

  watch(client: ClientLink, fileId: string): void {
    client.watching = fewAdd(client.watching, fileId);
    let set = this.#watchers.get(fileId);
    if (!set) this.#watchers.set(fileId, (set = new Set()));
    set.add(client);
  }

  /**
   * Delivers a signal to a peer here, or hands it to the mesh for the peer's tracker. A peer here
   * gets the event's line and the sender's data after it, as sent (signals-frame.ts `signalEventText`).
   */
  routeSignal(target: PeerInfo, signal: RelayedSignal): void {
    if (target.trackerId === this.trackerId) {
      const client = this.#byPeer.get(target.peerId);
      if (!client) throw new MeshdropError(ErrorCode.PeerOffline, 'that peer is not online');
      client.sendText(signalEventText(signal.fileId, signal.from, signal.fromUser, signal.data));
    } else if (this.remoteSignalRoute) {
      this.remoteSignalRoute(target, signal);
    } else {
      throw new MeshdropError(ErrorCode.PeerOffline, 'that peer is not reachable from this tracker');
    }
  }

  local(peerId: string): ClientLink | undefined {
    return this.#byPeer.get(peerId);
  }

  /** Every client that said hello here. */
  all(): Iterable<ClientLink> {
    return this.#byPeer.values();
  }

  pushToUsers(userIds: Iterable<string>, event: TrackerEvent): void {
    for (const userId of userIds) for (const client of fewValues(this.#byUser.get(userId))) client.send(event);
  }

  /** A holding changed (here or, via the mesh, elsewhere): this file's watchers hear it. */
  #holdersChanged(holding: Holding, gone: boolean): void {
    const watchers = this.#watchers.get(holding.fileId);
    if (!watchers) return;
    const event: TrackerEvent = {
      event: 'holders_changed',
      fileId: holding.fileId,
      peerId: holding.peer.peerId,
      userId: holding.peer.userId,
      bitfield: gone ? null : holding.bitfield.toBase64(),
    };
    for (const client of watchers) if (client.peerId !== holding.peer.peerId) client.send(event);
  }

  /**
   * Ends the watches and holdings of users who are no longer members of a
   * file's group (or whose file is gone), here, for local and remote peers
   * alike: every tracker does the same when the op reaches it, so the leaver
   * disappears everywhere at once, without waiting for the leaver's own
   * tracker to publish anything. A local peer's end is still published
   * (Presence tags it `local`: the mesh's presence snapshot must not bring it
   * back). `users` null: everyone. Cost: one pass over the peers and their
   * files, on rare ops only.
   */
  endPresenceOfOutsiders(users: ReadonlySet<string> | null): void {
    const state = this.state();
    const allowed = (userId: string, fileId: string): boolean => {
      const group = groupOfFile(state, fileId);
      return group !== undefined && isMember(group, userId);
    };
    for (const peer of [...this.presence.peers()]) {
      if (users && !users.has(peer.userId)) continue;
      for (const fileId of [...this.presence.filesOf(peer.peerId)]) {
        if (!allowed(peer.userId, fileId)) this.presence.unannounce(peer.peerId, fileId);
      }
    }
    const clients = users ? [...users].flatMap((u) => [...fewValues(this.#byUser.get(u))]) : [...this.#byPeer.values()];
    for (const client of clients) {
      const userId = client.session?.userId;
      for (const fileId of [...fewValues(client.watching)]) {
        if (userId !== undefined && allowed(userId, fileId)) continue;
        client.watching = fewDelete(client.watching, fileId);
        const set = this.#watchers.get(fileId);
        set?.delete(client);
        if (set?.size === 0) this.#watchers.delete(fileId);
      }
    }
  }

  /**
   * After a logout elsewhere, or a merge in which an account lost its name to
   * an earlier sign-up on another tracker, sessions that no longer stand are
   * ended here and their clients told why. A sign-up retried after failover
   * and applied on two trackers is one account (its key comes from the
   * request, protocol/ops.ts `creationKey`), so the lost-name message only
   * ever reaches someone whose name went to a different sign-up.
   */
  revalidateSessions(userId?: string): void {
    const clients = userId === undefined ? this.#byPeer.values() : fewValues(this.#byUser.get(userId));
    const state = this.state();
    const now = Date.now();
    for (const client of [...clients]) {
      const session = client.session;
      if (!session || liveSession(state, session.tokenHash, now)) continue;
      const lostName = state.users.get(session.userId)?.key !== session.userKey;
      const expired = !lostName && state.sessions.has(session.tokenHash);
      this.signOut(client);
      client.send({
        event: 'session_revoked',
        reason: lostName
          ? `the name ${session.userId} was taken by an earlier sign-up on another tracker; please sign up again with another name`
          : expired
            ? 'this session has expired; log in again'
            : 'this session was logged out',
      });
    }
  }
}
