/**
 * Runs a parsed console command against the app's actions and turns the
 * result into lines of text. The actions are the very methods the buttons
 * call (web/src/ui/app.ts), so a command and its button cannot drift
 * apart. Pure apart from the actions it is handed: no DOM, no tracker.
 */
import type { FileSummary, GroupSummary, MembershipStatus, SessionSummary } from '../../protocol/tracker.ts';
import { describeError } from './errors.ts';
import { formatBytes, formatPercent } from './format.ts';
import { helpText, type Command, type Dialect } from './parse.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';

/** One line of show_downloads. */
export interface DownloadLine {
  groupId: string;
  name: string;
  state: 'downloading' | 'paused' | 'complete';
  /** 0..1 */
  progress: number;
  /** Connected peers, and how each is reached once known (issue 10's direct/relayed). */
  peers?: { userId: string; path?: 'direct' | 'relayed' }[];
  /** Stalled: nobody online has the pieces still missing (DownloadInfo.waiting); resumes by itself. */
  waiting?: boolean;
  /** A batch fetched in part: how many of its files were asked for, of how many, and whether they are all here (`progress` is of those). */
  part?: { files: number; of: number; done: boolean };
}

export interface ConsoleActions {
  readonly userId: string | undefined;
  createUser(userId: string, password: string): Promise<void>;
  login(userId: string, password: string): Promise<void>;
  logout(): Promise<void>;
  listSessions(): Promise<SessionSummary[]>;
  revokeSession(sessionId: string): Promise<void>;
  logoutAll(): Promise<void>;
  createGroup(groupId: string): Promise<void>;
  joinGroup(groupId: string, invite?: string): Promise<MembershipStatus>;
  leaveGroup(groupId: string): Promise<void>;
  listGroups(): Promise<GroupSummary[]>;
  listRequests(groupId: string): Promise<{ userId: string; requestedAt: number }[]>;
  acceptRequest(groupId: string, userId: string): Promise<void>;
  rejectRequest(groupId: string, userId: string): Promise<void>;
  removeMember(groupId: string, userId: string): Promise<void>;
  listInvites(groupId: string): Promise<InviteInfo[]>;
  revokeInvite(groupId: string, inviteId: string): Promise<void>;
  listFiles(groupId: string): Promise<FileSummary[]>;
  /** Opens the file picker and shares what is picked; resolves with the names shared (none if cancelled). */
  pickAndShare(groupId: string): Promise<string[]>;
  download(file: FileSummary): Promise<void>;
  /**
   * The command line's `upload_file <file_path> <group>`: shares a file from
   * disk; resolves with the line to print. Absent in the browser (its picker).
   */
  shareFile?(path: string, groupId: string): Promise<string>;
  /**
   * The command line's `download_file <group> <file> <destination_path> [path_in_batch]`:
   * downloads to disk (with a path, that one file of a batch); resolves with the line to print.
   */
  downloadTo?(file: FileSummary, dest: string, path?: string): Promise<string>;
  stopShare(file: FileSummary): Promise<void>;
  downloads(): DownloadLine[];
}

/** An invite as its owner sees it in a list: a public id, never the link. */
export interface InviteInfo {
  inviteId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

export function formatInvites(groupId: string, invites: InviteInfo[]): string[] {
  if (invites.length === 0) return [`No invite links of ${groupId} are working. Make one on the group's page.`];
  return invites.map((i) => `${i.inviteId}  made by ${i.createdBy} ${new Date(i.createdAt).toLocaleString()}  expires ${new Date(i.expiresAt).toLocaleString()}`);
}

export type Output = { lines: string[]; ok: boolean; clear?: boolean; error?: unknown };

/**
 * A console-level refusal (no such file, ambiguous name, a path that cannot
 * be read): shown as it is, not as "something went wrong". `kind` lets the
 * command line pick its exit code.
 */
export class ConsoleError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'local' = 'refused',
  ) {
    super(message);
  }
}

/** Finds a file by exact name, then by id prefix (at least 6 hex digits); ambiguity is an error, not a guess. */
export function findFile(files: FileSummary[], query: string): { ok: true; file: FileSummary } | { ok: false; error: string } {
  const byName = files.filter((f) => f.name === query);
  if (byName.length === 1) return { ok: true, file: byName[0]! };
  if (byName.length > 1) {
    return { ok: false, error: `Several files are named "${query}": use the start of an id (${byName.map((f) => f.fileId.slice(0, 8)).join(', ')}).` };
  }
  const q = query.toLowerCase();
  if (/^[0-9a-f]{6,40}$/.test(q)) {
    const byId = files.filter((f) => f.fileId.startsWith(q));
    if (byId.length === 1) return { ok: true, file: byId[0]! };
    if (byId.length > 1) return { ok: false, error: `Several files have ids starting with ${q}: type more of it.` };
  }
  return { ok: false, error: `No file named "${query}" in this group. list_files shows what is there.` };
}

/** One line per session: `* ` marks this one. */
export function formatSessions(sessions: SessionSummary[]): string[] {
  if (sessions.length === 0) return ['No sessions.'];
  const when = (ms: number) => new Date(ms).toLocaleString();
  return sessions.map(
    (s) => `${s.current ? '*' : ' '} ${s.sessionId}  signed in ${when(s.openedAt)}  last used ${when(s.renewedAt)}  ends ${when(s.expiresAt)}${s.current ? '  (this one)' : ''}`,
  );
}

export function formatGroups(groups: GroupSummary[]): string[] {
  if (groups.length === 0) return ['No groups yet. create_group <group> makes one.'];
  return groups.map((g) => `${g.groupId}  owner ${g.owner}  ${g.members} member${g.members === 1 ? '' : 's'}  you: ${g.status}`);
}

export function formatFiles(groupId: string, files: FileSummary[]): string[] {
  if (files.length === 0) return [`No files in ${groupId} yet. upload_file ${groupId} shares one.`];
  return files.map(
    (f) => `${f.name}  ${f.fileCount !== undefined ? `${f.fileCount} file${f.fileCount === 1 ? '' : 's'}  ` : ''}${formatBytes(f.size)}  shared by ${f.sharedBy}  ${f.holdersOnline} holder${f.holdersOnline === 1 ? '' : 's'} online  id ${f.fileId.slice(0, 8)}`,
  );
}

/** `[D] [group] name` while downloading (with progress), `[C] [group] name` when complete. */
/** What a stalled download says, in the app and on the command line alike. */
export const WAITING_WORDS = 'waiting: nobody online has the rest of this file';

export function formatDownloads(lines: DownloadLine[]): string[] {
  if (lines.length === 0) return ['No downloads. download_file <group> <file> starts one.'];
  return lines.map((d) => {
    if (d.state === 'complete') return `[C] [${d.groupId}] ${d.name}`;
    // Some files of a batch, all here: nothing more is fetched until more is asked for.
    if (d.part?.done) return `[P] [${d.groupId}] ${d.name}  ${d.part.files} of its ${d.part.of} files here`;
    const peers = d.peers?.length ? ` · ${d.peers.map((p) => (p.path ? `${p.userId} ${p.path}` : p.userId)).join(', ')}` : '';
    const waiting = d.state === 'downloading' && d.waiting ? ` · ${WAITING_WORDS}` : '';
    const part = d.part ? ` of ${d.part.files} of its ${d.part.of} files` : '';
    return `[D] [${d.groupId}] ${d.name}  ${formatPercent(d.progress)}${part}${d.state === 'paused' ? ' (paused)' : ''}${peers}${waiting}`;
  });
}

const SIGNED_OUT = new Set(['create_user', 'login', 'help', 'clear']);

export async function runCommand(command: Command, actions: ConsoleActions, dialect: Dialect = 'web'): Promise<Output> {
  if (!SIGNED_OUT.has(command.name) && !actions.userId) {
    const error = new MeshdropError(ErrorCode.Unauthenticated, 'not signed in');
    return { ok: false, lines: ['Please sign in first: login <user> <password> (or create_user to register).'], error };
  }
  try {
    return { ok: true, lines: await execute(command, actions, dialect), clear: command.name === 'clear' };
  } catch (err) {
    return { ok: false, lines: [err instanceof ConsoleError ? err.message : describeError(err)], error: err };
  }
}

async function execute(c: Command, x: ConsoleActions, dialect: Dialect): Promise<string[]> {
  switch (c.name) {
    case 'help':
      return helpText(c.topic, dialect);
    case 'clear':
      return [];
    case 'create_user':
      await x.createUser(c.userId, c.password);
      return [`Account ${c.userId} created. Now: login ${c.userId} <password>`];
    case 'login':
      await x.login(c.userId, c.password);
      return [`Signed in as ${c.userId}.`];
    case 'logout':
      await x.logout();
      return ['Signed out.'];
    case 'sessions':
      return formatSessions(await x.listSessions());
    case 'revoke_session':
      await x.revokeSession(c.sessionId);
      return [`Session ${c.sessionId} signed out.`];
    case 'logout_all':
      await x.logoutAll();
      return ['Signed out everywhere: every session of yours has ended.'];
    case 'create_group':
      await x.createGroup(c.groupId);
      return [`Group ${c.groupId} created; you own it.`];
    case 'join_group': {
      const status = await x.joinGroup(c.groupId, c.invite);
      return [status === 'pending' ? `Asked to join ${c.groupId}; the owner will decide.` : `You are now a member of ${c.groupId}.`];
    }
    case 'leave_group':
      await x.leaveGroup(c.groupId);
      return [`You left ${c.groupId}.`];
    case 'list_requests': {
      const groups = c.groupId !== undefined ? [c.groupId] : (await x.listGroups()).filter((g) => g.status === 'owner').map((g) => g.groupId);
      if (groups.length === 0) return ['You own no groups.'];
      const out: string[] = [];
      for (const groupId of groups) {
        for (const r of await x.listRequests(groupId)) out.push(`${groupId}  ${r.userId}  asked ${new Date(r.requestedAt).toLocaleString()}`);
      }
      return out.length ? out : [c.groupId ? `No pending requests in ${c.groupId}.` : 'No pending requests.'];
    }
    case 'accept_request':
      await x.acceptRequest(c.groupId, c.userId);
      return [`${c.userId} is now a member of ${c.groupId}.`];
    case 'reject_request':
      await x.rejectRequest(c.groupId, c.userId);
      return [`Turned down ${c.userId}'s request to join ${c.groupId}.`];
    case 'remove_member':
      await x.removeMember(c.groupId, c.userId);
      return [`${c.userId} is no longer a member of ${c.groupId}.`];
    case 'list_invites':
      return formatInvites(c.groupId, await x.listInvites(c.groupId));
    case 'revoke_invite':
      await x.revokeInvite(c.groupId, c.inviteId);
      return [`Invite ${c.inviteId} of ${c.groupId} no longer works.`];
    case 'list_groups':
      return formatGroups(await x.listGroups());
    case 'list_files':
      return formatFiles(c.groupId, await x.listFiles(c.groupId));
    case 'upload_file': {
      if (c.path !== undefined && x.shareFile) return [await x.shareFile(c.path, c.groupId)];
      const names = await x.pickAndShare(c.groupId);
      return names.length ? names.map((n) => `Shared ${n} in ${c.groupId}.`) : ['No file picked.'];
    }
    case 'download_file': {
      const found = findFile(await x.listFiles(c.groupId), c.file);
      if (!found.ok) throw new ConsoleError(found.error);
      if (c.dest !== undefined && x.downloadTo) return [await x.downloadTo(found.file, c.dest, c.path)];
      await x.download(found.file);
      return [`Downloading ${found.file.name} (${formatBytes(found.file.size)}). show_downloads follows it.`];
    }
    case 'show_downloads':
      return formatDownloads(x.downloads());
    case 'stop_share': {
      const found = findFile(await x.listFiles(c.groupId), c.file);
      if (!found.ok) throw new ConsoleError(found.error);
      await x.stopShare(found.file);
      return [`Stopped sharing ${found.file.name}.`];
    }
  }
}
