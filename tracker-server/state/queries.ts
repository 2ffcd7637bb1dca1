/** Read-only questions handlers ask of the state. */
import type { MembershipStatus } from '../../protocol/tracker.ts';
import type { GroupRecord, SessionRecord, State } from './model.ts';
import { sessionLiveAt } from './sessions.ts';

/**
 * The session behind a token hash, if it still stands (not revoked, its
 * account not lost to a conflict, and, given the time, not expired).
 */
export function liveSession(state: State, tokenHash: string, nowMs?: number): SessionRecord | undefined {
  const session = state.sessions.get(tokenHash);
  if (!session || state.users.get(session.userId)?.key !== session.userKey) return undefined;
  if (nowMs !== undefined && !sessionLiveAt(session, nowMs)) return undefined;
  return session;
}

/**
 * The state's own copy of a session's token hash (the string it is indexed
 * under), for a connection to keep instead of the equal one it just hashed:
 * 80 bytes less per signed-in connection (issue 12 item 2). `tokenHash` itself
 * when the state holds none.
 */
export function storedTokenHash(state: State, userId: string, tokenHash: string): string {
  for (const hash of state.sessionsByUser.get(userId) ?? []) if (hash === tokenHash) return hash;
  return tokenHash;
}

export function statusIn(group: GroupRecord, userId: string): MembershipStatus {
  if (group.owner === userId) return 'owner';
  return group.members.get(userId)?.status ?? 'none';
}

/** Full members, owner included: who may see and fetch a group's files. */
export function isMember(group: GroupRecord, userId: string): boolean {
  return group.members.get(userId)?.status === 'member';
}

export function memberCount(group: GroupRecord): number {
  let n = 0;
  for (const m of group.members.values()) if (m.status === 'member') n++;
  return n;
}

/** The group a file belongs to, if both still exist. */
export function groupOfFile(state: State, fileId: string): GroupRecord | undefined {
  const file = state.files.get(fileId);
  return file && state.groupsByKey.get(file.groupKey);
}
