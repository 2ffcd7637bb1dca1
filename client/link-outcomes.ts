/**
 * What a swarm learns about its connections' network paths: it reports each
 * outcome of a link it dialled to the tracker (`connection_outcome`: direct,
 * relayed, or failed), and keeps, for the downloads page, the holders it
 * could not reach with the reason in plain words (client/connection-path.ts).
 *
 * One count per connection: only the side that dialled reports (the other
 * side's view of the same link would count it twice), and a holder that
 * cannot be reached is reported failed once per swarm, not at every redial
 * (REDIAL_MS in dialer.ts). The tracker bounds what a client may report
 * anyway (OUTCOME_BURST in protocol/constants.ts).
 */
import type { PresenceId } from '../protocol/ids.ts';
import { unreachableReason, wireMismatchReason, type ConnectionPath } from './connection-path.ts';
import type { PeerLink } from './peer-link.ts';
import type { SwarmTracker } from './ports.ts';

export class LinkOutcomes {
  readonly #tracker: SwarmTracker;
  /** Holders dialled without a path, by presence id: their user and why. */
  #unreachable = new Map<PresenceId, { userId: string; reason: string }>();
  #reportedFailed = new Set<PresenceId>();

  constructor(tracker: SwarmTracker) {
    this.#tracker = tracker;
  }

  /** A link of ours is ready: whoever it reaches is reachable. */
  ready(link: PeerLink): void {
    for (const [peerId, u] of this.#unreachable) if (u.userId === link.userId) this.#unreachable.delete(peerId);
  }

  pathKnown(link: PeerLink, path: ConnectionPath): void {
    if (link.initiator) this.#report(path);
  }

  closed(link: PeerLink): void {
    if (!link.initiator) return;
    // A peer on another wire version is reachable but cannot be spoken to: say which side is older.
    const theirs = link.theirWireVersion;
    if (theirs !== undefined) {
      this.#unreachable.set(link.peerId, { userId: link.userId, reason: `could not download from ${link.userId}: ${wireMismatchReason(link.userId, theirs)}` });
      return;
    }
    if (!link.foundNoPath) return;
    this.#unreachable.set(link.peerId, { userId: link.userId, reason: unreachableReason(link.userId, link.iceServers) });
    if (this.#reportedFailed.has(link.peerId)) return;
    this.#reportedFailed.add(link.peerId);
    this.#report('failed');
  }

  /** The holder left (or is no longer a member): nothing to say about reaching it. */
  forget(peerId: PresenceId): void {
    this.#unreachable.delete(peerId);
    this.#reportedFailed.delete(peerId);
  }

  /** Keeps only the holders whose user is in `members`. */
  keepMembers(members: ReadonlySet<string>): void {
    for (const [peerId, u] of this.#unreachable) if (!members.has(u.userId)) this.#unreachable.delete(peerId);
  }

  /** One entry per user we could not reach, the latest reason. */
  unreachable(): { userId: string; reason: string }[] {
    const byUser = new Map<string, string>();
    for (const u of this.#unreachable.values()) byUser.set(u.userId, u.reason);
    return [...byUser].map(([userId, reason]) => ({ userId, reason }));
  }

  #report(outcome: ConnectionPath | 'failed'): void {
    try {
      this.#tracker.reportOutcome?.(outcome);
    } catch {
      // Counting is the tracker's business; a failure here changes nothing for the transfer.
    }
  }
}
