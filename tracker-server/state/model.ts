/**
 * The tracker's durable state, as folded from the op log. Plain data in Maps,
 * no I/O: `apply.ts` changes it, `queries.ts` reads it, `digest.ts` serialises it.
 */
import type { FileMeta } from '../../protocol/tracker.ts';

export interface UserRecord {
  /** Id of the op that created the account; a later account of the same name has another. */
  key: string;
  salt: string;
  /** scrypt(password, salt), hex. */
  hash: string;
  createdHlc: number;
}

export interface SessionRecord {
  userId: string;
  userKey: string;
  openedHlc: number;
  /** hlc of the last session_renewed (or of the opening): the idle lifetime counts from here. */
  renewedHlc: number;
  idleMs: number;
  maxMs: number;
}

export type MemberStatus = 'member' | 'pending' | 'rejected';

export interface Membership {
  status: MemberStatus;
  /** hlc of the request (pending) or of admission (member): seniority for owner hand-over. */
  since: number;
  userKey: string;
}

export interface GroupRecord {
  key: string;
  groupId: string;
  owner: string;
  createdHlc: number;
  members: Map<string, Membership>;
  files: Set<string>;
  /**
   * User id → hlc of their last leave or removal as a member. An invite made
   * before that does not let them back in (see apply.ts invite_used).
   */
  departed: Map<string, number>;
}

export interface FileRecord {
  fileId: string;
  groupKey: string;
  meta: FileMeta;
  sharedBy: string;
  sharedHlc: number;
}

export interface InviteRecord {
  groupKey: string;
  expiresAt: number;
  by: string;
  /** Id of the op that made it: the invite's public id (list, revoke), never the token. */
  key: string;
  createdHlc: number;
}

export interface State {
  users: Map<string, UserRecord>;
  /** By sha256(token) in hex: the state never holds a token itself. */
  sessions: Map<string, SessionRecord>;
  /** userId → token hashes of its sessions: an index of `sessions`, for the per-user cap and list_sessions. */
  sessionsByUser: Map<string, Set<string>>;
  groups: Map<string, GroupRecord>;
  groupsByKey: Map<string, GroupRecord>;
  files: Map<string, FileRecord>;
  invites: Map<string, InviteRecord>;
  /**
   * Every key a group was ever created under. A request applied on two
   * trackers is one group (protocol/ops.ts `creationKey`): its later copy
   * must not bring the group back after it ended. Derived from the ops like
   * the rest, and only consulted by the fold, so it is not in the digest.
   */
  groupKeysUsed: Set<string>;
}

export function emptyState(): State {
  return {
    users: new Map(),
    sessions: new Map(),
    sessionsByUser: new Map(),
    groups: new Map(),
    groupsByKey: new Map(),
    files: new Map(),
    invites: new Map(),
    groupKeysUsed: new Set(),
  };
}
