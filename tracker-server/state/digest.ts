/**
 * One canonical form of the state: sorted arrays, fixed field order. It is
 * what the digest hashes (two trackers agree iff their digests match) and what
 * a snapshot stores.
 */
import { createHash } from 'node:crypto';
import type { FileRecord, GroupRecord, InviteRecord, Membership, SessionRecord, State, UserRecord } from './model.ts';
import { emptyState } from './model.ts';

export interface CanonicalState {
  users: [string, UserRecord][];
  sessions: [string, SessionRecord][];
  groups: { key: string; groupId: string; owner: string; createdHlc: number; members: [string, Membership][]; files: string[] }[];
  files: [string, FileRecord][];
  invites: [string, InviteRecord][];
}

const byKey = <T>(map: Map<string, T>): [string, T][] =>
  [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

export function canonicalState(state: State): CanonicalState {
  return {
    users: byKey(state.users).map(([k, u]) => [k, { key: u.key, salt: u.salt, hash: u.hash, createdHlc: u.createdHlc }]),
    sessions: byKey(state.sessions).map(([k, s]) => [k, { userId: s.userId, userKey: s.userKey, openedHlc: s.openedHlc }]),
    groups: byKey(state.groups).map(([, g]) => ({
      key: g.key,
      groupId: g.groupId,
      owner: g.owner,
      createdHlc: g.createdHlc,
      members: byKey(g.members).map(([u, m]) => [u, { status: m.status, since: m.since, userKey: m.userKey }]),
      files: [...g.files].sort(),
    })),
    files: byKey(state.files).map(([k, f]) => [
      k,
      { fileId: f.fileId, groupKey: f.groupKey, meta: f.meta, sharedBy: f.sharedBy, sharedHlc: f.sharedHlc },
    ]),
    invites: byKey(state.invites).map(([k, i]) => [k, { groupKey: i.groupKey, expiresAt: i.expiresAt, by: i.by }]),
  };
}

export function stateFromCanonical(c: CanonicalState): State {
  const state = emptyState();
  for (const [k, u] of c.users) state.users.set(k, u);
  for (const [k, s] of c.sessions) state.sessions.set(k, s);
  for (const g of c.groups) {
    const group: GroupRecord = { ...g, members: new Map(g.members), files: new Set(g.files) };
    state.groups.set(g.groupId, group);
    state.groupsByKey.set(g.key, group);
  }
  for (const [k, f] of c.files) state.files.set(k, f);
  for (const [k, i] of c.invites) state.invites.set(k, i);
  return state;
}

/** SHA-256 of the canonical state: equal digests mean byte-identical state. */
export function stateDigest(state: State): string {
  return createHash('sha256').update(JSON.stringify(canonicalState(state))).digest('hex');
}
