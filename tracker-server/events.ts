/**
 * Which people hear about an op that took effect, and what they hear. Pure:
 * the same for an op accepted here and one replicated from another tracker,
 * so a join request made on tracker B reaches an owner connected to tracker A.
 */
import type { Op } from '../protocol/ops.ts';
import { hlcToMs } from '../protocol/ops.ts';
import type { FileSummary, TrackerEvent } from '../protocol/tracker.ts';
import type { FileRecord, GroupRecord, State } from './state/model.ts';
import type { OnlineCounts } from './presence.ts';

export interface Delivery {
  /** User ids to push to (every connection of each). */
  to: Iterable<string>;
  event: TrackerEvent;
}

export function membersOf(group: GroupRecord): string[] {
  const out: string[] = [];
  for (const [userId, m] of group.members) if (m.status === 'member') out.push(userId);
  return out;
}

export function fileSummary(file: FileRecord, groupId: string, online: OnlineCounts, lastOnlineAt?: number): FileSummary {
  return {
    fileId: file.fileId,
    groupId,
    name: file.meta.name,
    size: file.meta.size,
    pieceCount: file.meta.pieceHashes.length,
    sharedBy: file.sharedBy,
    sharedAt: hlcToMs(file.sharedHlc),
    // A holder has every piece; those with part of it are counted apart (issue 13: partial holders were counted as holders).
    holdersOnline: online.whole,
    partialOnline: online.partial,
    ...(lastOnlineAt !== undefined ? { lastOnlineAt } : {}),
    ...(file.meta.files ? { fileCount: file.meta.files.length } : {}),
  };
}

export function eventsFor(op: Op, state: State, holdersOnline: (fileId: string) => OnlineCounts): Delivery[] {
  switch (op.kind) {
    case 'join_requested': {
      const group = state.groupsByKey.get(op.groupKey);
      return group ? [{ to: [group.owner], event: { event: 'join_requested', groupId: group.groupId, userId: op.by } }] : [];
    }
    case 'request_accepted':
    case 'request_rejected': {
      const group = state.groupsByKey.get(op.groupKey);
      if (!group) return [];
      const accepted = op.kind === 'request_accepted';
      const out: Delivery[] = [{ to: [op.userId], event: { event: 'request_answered', groupId: group.groupId, accepted } }];
      if (accepted) out.push({ to: membersOf(group), event: { event: 'members_changed', groupId: group.groupId } });
      return out;
    }
    case 'invite_used':
    case 'member_left':
    case 'member_removed': {
      const group = state.groupsByKey.get(op.groupKey);
      const to = group ? membersOf(group) : [];
      // The leaver (or the removed member) hears it too, so every tab of theirs drops the group.
      if (op.kind === 'member_left') to.push(op.by);
      if (op.kind === 'member_removed') to.push(op.userId);
      const groupId = group?.groupId;
      return groupId ? [{ to, event: { event: 'members_changed', groupId } }] : [];
    }
    case 'file_shared': {
      const group = state.groupsByKey.get(op.groupKey);
      const file = state.files.get(op.fileId);
      if (!group || !file) return [];
      return [{ to: membersOf(group), event: { event: 'file_shared', file: fileSummary(file, group.groupId, holdersOnline(op.fileId)) } }];
    }
    case 'share_stopped': {
      const group = state.groupsByKey.get(op.groupKey);
      if (!group) return [];
      return [{ to: membersOf(group), event: { event: 'file_stopped', groupId: group.groupId, fileId: op.fileId } }];
    }
    default:
      return [];
  }
}
