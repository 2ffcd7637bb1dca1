/**
 * What the signed-in person knows of groups: every group with their status
 * in it, and the detail of the group on screen (members, pending requests,
 * files, the invite link just made). Filled by the app controller from
 * tracker replies and events; read by components.
 */
import type { FileSummary, GroupSummary, MembershipStatus } from '../../../protocol/tracker.ts';

export interface Member {
  userId: string;
  role: 'owner' | 'member';
  since: number;
}
export interface JoinRequest {
  userId: string;
  requestedAt: number;
}
export interface Invite {
  link: string;
  expiresAt: number;
}
/** An invite that still works, as the owner's list shows it: its public id, never its link. */
export interface InviteEntry {
  inviteId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

export class GroupsState {
  #groups = $state<GroupSummary[]>([]);
  #loaded = $state(false);

  get all(): readonly GroupSummary[] {
    return this.#groups;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  /** Groups I own or belong to, first the ones I own. */
  get mine(): GroupSummary[] {
    return this.#groups.filter((g) => g.status === 'owner' || g.status === 'member');
  }
  get pending(): GroupSummary[] {
    return this.#groups.filter((g) => g.status === 'pending');
  }
  get others(): GroupSummary[] {
    return this.#groups.filter((g) => g.status === 'none' || g.status === 'rejected');
  }

  find(groupId: string): GroupSummary | undefined {
    return this.#groups.find((g) => g.groupId === groupId);
  }
  statusOf(groupId: string): MembershipStatus {
    return this.find(groupId)?.status ?? 'none';
  }

  set(groups: GroupSummary[]): void {
    this.#groups = [...groups].sort((a, b) => rank(a) - rank(b) || a.groupId.localeCompare(b.groupId));
    this.#loaded = true;
  }

  /** A change I made, shown at once; the next list_groups confirms it. */
  setStatus(groupId: string, status: MembershipStatus, owner?: string): void {
    const existing = this.find(groupId);
    if (existing) this.set(this.#groups.map((g) => (g.groupId === groupId ? { ...g, status } : g)));
    else if (owner) this.set([...this.#groups, { groupId, owner, members: 1, status }]);
  }

  reset(): void {
    this.#groups = [];
    this.#loaded = false;
  }
}

const RANKS: Record<MembershipStatus, number> = { owner: 0, member: 1, pending: 2, rejected: 3, none: 4 };
const rank = (g: GroupSummary) => RANKS[g.status];

/** The group on screen. */
export class GroupView {
  #groupId = $state<string | undefined>(undefined);
  #members = $state<Member[]>([]);
  #requests = $state<JoinRequest[]>([]);
  #files = $state<FileSummary[]>([]);
  #invite = $state<Invite | undefined>(undefined);
  #invites = $state<InviteEntry[]>([]);

  get groupId(): string | undefined {
    return this.#groupId;
  }
  get members(): readonly Member[] {
    return this.#members;
  }
  get requests(): readonly JoinRequest[] {
    return this.#requests;
  }
  get files(): readonly FileSummary[] {
    return this.#files;
  }
  get invite(): Invite | undefined {
    return this.#invite;
  }
  /** The owner's working invites (empty for anyone else). */
  get invites(): readonly InviteEntry[] {
    return this.#invites;
  }

  /** Switch to another group: what was shown for the last one goes. */
  open(groupId: string): void {
    if (this.#groupId === groupId) return;
    this.reset();
    this.#groupId = groupId;
  }

  setMembers(members: Member[]): void {
    this.#members = members;
  }
  setRequests(requests: JoinRequest[]): void {
    this.#requests = requests;
  }
  removeRequest(userId: string): void {
    this.#requests = this.#requests.filter((r) => r.userId !== userId);
  }
  setFiles(files: FileSummary[]): void {
    this.#files = [...files].sort((a, b) => b.sharedAt - a.sharedAt);
  }
  /** A file_shared event: add or update in place. */
  upsertFile(file: FileSummary): void {
    if (file.groupId !== this.#groupId) return;
    this.setFiles([...this.#files.filter((f) => f.fileId !== file.fileId), file]);
  }
  /** A holders_online event: the count (and, with nobody, since when) of a file on screen. */
  setHoldersOnline(fileId: string, holdersOnline: number, lastOnlineAt: number | undefined, partialOnline?: number): void {
    this.#files = this.#files.map((f) => {
      if (f.fileId !== fileId) return f;
      const { lastOnlineAt: _old, partialOnline: _partial, ...rest } = f;
      const counts = partialOnline === undefined ? { ...rest, holdersOnline } : { ...rest, holdersOnline, partialOnline };
      return lastOnlineAt === undefined ? counts : { ...counts, lastOnlineAt };
    });
  }
  removeFile(fileId: string): void {
    this.#files = this.#files.filter((f) => f.fileId !== fileId);
  }
  setInvite(invite: Invite | undefined): void {
    this.#invite = invite;
  }
  setInvites(invites: InviteEntry[]): void {
    this.#invites = invites;
  }
  removeMember(userId: string): void {
    this.#members = this.#members.filter((m) => m.userId !== userId);
  }

  reset(): void {
    this.#groupId = undefined;
    this.#members = [];
    this.#requests = [];
    this.#files = [];
    this.#invite = undefined;
    this.#invites = [];
  }
}
