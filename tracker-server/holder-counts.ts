/**
 * How many peers online hold pieces of each file, told live to everyone in
 * the file's group (`holders_online`), not only to a file's swarm: the group
 * page's "N holders online" follows presence for every member looking at it,
 * the sharer's own tab included. Fed by Presence's own changes, local and
 * mesh alike, so a holder on another tracker counts and every tracker tells
 * its own clients.
 *
 * Also remembers when a file's last holder went (`lastOnlineAt`), so a file
 * nobody holds can say since when. Soft state like presence: a tracker that
 * restarts knows it again from the next holder that comes and goes.
 *
 * Cost per change: an emptiness check of the bitfield and a set lookup;
 * only a holder coming or going looks the group up and pushes.
 */
import type { TrackerEvent } from '../protocol/tracker.ts';
import type { Holding, Presence } from './presence.ts';
import { membersOf } from './events.ts';
import { groupOfFile } from './state/queries.ts';
import type { State } from './state/model.ts';

export class HolderCounts {
  /** Per file with at least one holder online: the peer ids holding a piece. */
  #holders = new Map<string, Set<string>>();
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
    let set = this.#holders.get(fileId);
    // isEmpty stops at the first byte with a piece: for a `have` that is near the start.
    const holds = !gone && !holding.bitfield.isEmpty();
    if (holds === (set?.has(peerId) ?? false)) return;
    if (holds) {
      if (!set) this.#holders.set(fileId, (set = new Set()));
      set.add(peerId);
      this.#lastOnline.delete(fileId);
    } else {
      set!.delete(peerId);
      if (set!.size === 0) {
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
    this.push(membersOf(group), {
      event: 'holders_online',
      groupId: group.groupId,
      fileId,
      holdersOnline: this.count(fileId),
      ...(lastOnlineAt !== undefined ? { lastOnlineAt } : {}),
    });
  }
}
