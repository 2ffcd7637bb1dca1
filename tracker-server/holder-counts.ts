/**
 * How many peers online hold each file, told live to everyone in the file's
 * group (`holders_online`), not only to a file's swarm: the group page's
 * "2 people online have it" follows presence for every member looking at it,
 * the sharer's own tab included. Fed by Presence's own changes, local and
 * mesh alike, so a holder on another tracker counts and every tracker tells
 * its own clients.
 *
 * Also remembers when a file's last holder went (`lastOnlineAt`), so a file
 * nobody holds can say since when. Soft state like presence: a tracker that
 * restarts knows it again from the next holder that comes and goes.
 *
 * A holder is a peer with every piece; one with only some (downloading) is
 * counted apart (`partialOnline`), not as a holder.
 *
 * Cost per change: an emptiness check of the bitfield, for a peer with
 * pieces a count of them, and a map lookup; only a peer's standing changing
 * (none, part, whole) looks the group up and pushes.
 */
import type { TrackerEvent } from '../protocol/tracker.ts';
import type { Holding, OnlineCounts, Presence } from './presence.ts';
import { membersOf } from './events.ts';
import { groupOfFile } from './state/queries.ts';
import type { State } from './state/model.ts';

/** Where one peer stands with a file: holds nothing, part of it, or every piece. */
type Holds = 'none' | 'partial' | 'whole';

export class HolderCounts {
  /** Per file with at least one peer online holding a piece: each such peer's standing. */
  #holders = new Map<string, Map<string, Exclude<Holds, 'none'>>>();
  /** Per file nobody online holds: when the last holder went (ms since the epoch). */
  #lastOnline = new Map<string, number>();

  constructor(
    presence: Presence,
    private readonly state: () => State,
    private readonly push: (to: Iterable<string>, event: TrackerEvent) => void,
    private readonly now: () => number = Date.now,
  ) {
    presence.onChange((holding, gone) => this.#changed(holding, gone));
  }

  /** Peers online with every piece (holders) and with some (downloading). */
  counts(fileId: string): OnlineCounts {
    const counts = { whole: 0, partial: 0 };
    for (const holds of this.#holders.get(fileId)?.values() ?? []) counts[holds]++;
    return counts;
  }

  /** Peers online holding any piece. */
  count(fileId: string): number {
    return this.#holders.get(fileId)?.size ?? 0;
  }

  /** When someone last had the file online, if nobody has it now and this tracker saw them go. */
  lastOnlineAt(fileId: string): number | undefined {
    return this.count(fileId) > 0 ? undefined : this.#lastOnline.get(fileId);
  }

  #changed(holding: Holding, gone: boolean): void {
    const { fileId } = holding;
    const peerId = holding.peer.peerId;
    let map = this.#holders.get(fileId);
    // isEmpty stops at the first byte with a piece: for a `have` that is near the start. Only a
    // peer with pieces is counted, so the whole-file check runs for those alone.
    const holds: Holds = gone || holding.bitfield.isEmpty() ? 'none' : holding.bitfield.isComplete() ? 'whole' : 'partial';
    if (holds === (map?.get(peerId) ?? 'none')) return;
    if (holds !== 'none') {
      if (!map) this.#holders.set(fileId, (map = new Map()));
      map.set(peerId, holds);
      this.#lastOnline.delete(fileId);
    } else {
      map!.delete(peerId);
      if (map!.size === 0) {
        this.#holders.delete(fileId);
        this.#lastOnline.set(fileId, this.now());
      }
    }
    const group = groupOfFile(this.state(), fileId);
    if (!group) {
      // The share was stopped (or never reached here): nothing to tell, nothing to remember.
      this.#lastOnline.delete(fileId);
      return;
    }
    const lastOnlineAt = this.lastOnlineAt(fileId);
    const { whole, partial } = this.counts(fileId);
    this.push(membersOf(group), {
      event: 'holders_online',
      groupId: group.groupId,
      fileId,
      holdersOnline: whole,
      partialOnline: partial,
      ...(lastOnlineAt !== undefined ? { lastOnlineAt } : {}),
    });
  }
}
