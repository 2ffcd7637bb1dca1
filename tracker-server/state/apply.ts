/**
 * Folds one op into the state. Deterministic and total: an op that is no
 * longer valid at its place in the order (its actor lost the name, the group
 * is gone, the member already left) changes nothing, so every tracker folding
 * the same ops in the same order ends with the same state.
 *
 * Returns whether the op took effect, so callers can tell people about it.
 */
import { creationKey, hlcToMs, opId, type Actor, type Op } from '../../protocol/ops.ts';
import type { GroupRecord, InviteRecord, State } from './model.ts';
import { endSession, endSessionsOf, openSession, renewSession } from './sessions.ts';

export function applyOp(state: State, op: Op): boolean {
  switch (op.kind) {
    case 'user_created': {
      // First writer wins a name: a later creation of a taken name is inert.
      // A second copy of the same request (same key) is inert too, but not a
      // loser: what was done under either copy names the same key.
      if (state.users.has(op.userId)) return false;
      state.users.set(op.userId, { key: creationKey(op), salt: op.salt, hash: op.hash, createdHlc: op.hlc });
      return true;
    }
    case 'session_opened': {
      if (state.users.get(op.userId)?.key !== op.userKey) return false;
      openSession(state, op);
      return true;
    }
    case 'session_revoked':
      return endSession(state, op.tokenHash);
    case 'session_renewed':
      return renewSession(state, op.tokenHash, op.hlc);
    case 'user_sessions_revoked':
      return endSessionsOf(state, op.userId, op.userKey, op.hlc);
    case 'group_created': {
      // As for users: a second copy of the same request names the same group,
      // and never re-creates it once it ended. A key already used (one request
      // id spent on two names) is refused too.
      const key = creationKey(op);
      if (!actorValid(state, op) || state.groups.has(op.groupId) || state.groupKeysUsed.has(key)) return false;
      state.groupKeysUsed.add(key);
      const group: GroupRecord = {
        key,
        groupId: op.groupId,
        owner: op.by,
        createdHlc: op.hlc,
        members: new Map([[op.by, { status: 'member', since: op.hlc, userKey: op.byKey }]]),
        files: new Set(),
        departed: new Map(),
      };
      state.groups.set(op.groupId, group);
      state.groupsByKey.set(group.key, group);
      return true;
    }
    case 'join_requested': {
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op)) return false;
      const current = group.members.get(op.by);
      if (current && current.status !== 'rejected') return false;
      group.members.set(op.by, { status: 'pending', since: op.hlc, userKey: op.byKey });
      return true;
    }
    case 'request_accepted':
    case 'request_rejected': {
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op) || group.owner !== op.by) return false;
      const target = group.members.get(op.userId);
      if (!target || state.users.get(op.userId)?.key !== target.userKey) return false;
      // Last writer wins a membership's status: two concurrent decisions
      // settle on the later one, wherever each was made.
      const status = op.kind === 'request_accepted' ? 'member' : 'rejected';
      if (target.status === status) return false;
      group.members.set(op.userId, { status, since: status === 'member' ? op.hlc : target.since, userKey: target.userKey });
      return true;
    }
    case 'invite_created': {
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op) || group.owner !== op.by || state.invites.has(op.tokenHash)) return false;
      state.invites.set(op.tokenHash, { groupKey: op.groupKey, expiresAt: op.expiresAt, by: op.by, key: opId(op), createdHlc: op.hlc });
      return true;
    }
    case 'invite_used': {
      const group = liveGroup(state, op.groupKey);
      const invite = state.invites.get(op.tokenHash);
      if (!group || !invite || invite.groupKey !== op.groupKey || !actorValid(state, op)) return false;
      // Expiry is judged at the op's own time, so every tracker agrees.
      if (hlcToMs(op.hlc) > invite.expiresAt) return false;
      if (group.members.get(op.by)?.status === 'member') return false;
      if (!inviteAdmits(group, invite, op.by)) return false;
      group.members.set(op.by, { status: 'member', since: op.hlc, userKey: op.byKey });
      return true;
    }
    case 'member_left': {
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op)) return false;
      const leaving = group.members.get(op.by);
      if (!leaving || leaving.status === 'rejected') return false;
      group.members.delete(op.by);
      if (leaving.status === 'member') group.departed.set(op.by, op.hlc);
      if (group.owner === op.by) handOver(state, group);
      return true;
    }
    case 'file_shared': {
      // No quota here, on purpose: quotas are per tracker and a fold rule must not be (see tracker-server/quotas.ts).
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op) || state.files.has(op.fileId)) return false;
      if (group.members.get(op.by)?.status !== 'member') return false;
      state.files.set(op.fileId, { fileId: op.fileId, groupKey: op.groupKey, meta: op.meta, sharedBy: op.by, sharedHlc: op.hlc });
      group.files.add(op.fileId);
      return true;
    }
    case 'share_stopped': {
      const file = state.files.get(op.fileId);
      if (!file || !actorValid(state, op)) return false;
      const group = state.groupsByKey.get(file.groupKey);
      if (file.sharedBy !== op.by && group?.owner !== op.by) return false;
      state.files.delete(op.fileId);
      group?.files.delete(op.fileId);
      return true;
    }
    case 'invite_revoked': {
      const group = liveGroup(state, op.groupKey);
      const invite = state.invites.get(op.tokenHash);
      if (!group || !actorValid(state, op) || group.owner !== op.by || invite?.groupKey !== op.groupKey) return false;
      state.invites.delete(op.tokenHash);
      return true;
    }
    case 'member_removed': {
      const group = liveGroup(state, op.groupKey);
      if (!group || !actorValid(state, op) || group.owner !== op.by || op.userId === group.owner) return false;
      if (group.members.get(op.userId)?.status !== 'member') return false;
      group.members.delete(op.userId);
      group.departed.set(op.userId, op.hlc);
      return true;
    }
  }
}

/**
 * Whether an invite may admit this user. The rule: an invite made before a
 * user last left the group, or was removed from it, does not admit them
 * again. Otherwise a removed member would walk back in with the link they
 * joined by (or any older link they saw), and removal would mean nothing;
 * and a member who left has no standing claim on links they were given
 * before. To come back they need a new invite, made after they went, or a
 * join request the owner accepts. Judged by hlc, so every tracker agrees.
 */
export function inviteAdmits(group: GroupRecord, invite: InviteRecord, userId: string): boolean {
  const departed = group.departed.get(userId);
  return departed === undefined || invite.createdHlc > departed;
}

/** The actor's account is the one that holds its name (it did not lose a conflict). */
function actorValid(state: State, actor: Actor): boolean {
  return state.users.get(actor.by)?.key === actor.byKey;
}

function liveGroup(state: State, key: string): GroupRecord | undefined {
  return state.groupsByKey.get(key);
}

/**
 * The owner left: the longest-standing member becomes owner (ties by user id,
 * so every tracker picks the same one); with no member left, the group ends,
 * its files and invites with it, and its name is free again.
 */
function handOver(state: State, group: GroupRecord): void {
  let heir: string | undefined;
  let heirSince = Infinity;
  for (const [userId, m] of group.members) {
    if (m.status !== 'member') continue;
    if (m.since < heirSince || (m.since === heirSince && heir !== undefined && userId < heir)) {
      heir = userId;
      heirSince = m.since;
    }
  }
  if (heir !== undefined) {
    group.owner = heir;
    return;
  }
  state.groups.delete(group.groupId);
  state.groupsByKey.delete(group.key);
  for (const fileId of group.files) state.files.delete(fileId);
  for (const [hash, invite] of state.invites) if (invite.groupKey === group.key) state.invites.delete(hash);
}
