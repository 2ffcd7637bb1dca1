/**
 * The app controller: the one place that turns what a person does (a button,
 * a typed command) into client-core calls, and tracker events into state the
 * screens show. Buttons and the console call the same methods, so they have
 * the same effect. It talks to the tracker only through TrackerClient and to
 * transfers only through a TransferPort (transfer-actions.ts: what a person
 * does with files in this tab).
 *
 * Over 400 lines (about 430): it is the web console's ConsoleActions and the
 * buttons' methods, one short method per thing a person does, plus the
 * tracker events that change what the screens show; split further, one
 * action's story (request, then what the screen shows) would be in two files.
 */
import { ErrorCode } from '../../../protocol/errors.ts';
import type { FileSummary, GroupSummary, MembershipStatus, SessionSummary, TrackerEvent } from '../../../protocol/tracker.ts';
import type { TrackerClient } from '../../../client/tracker.ts';
import type { ConsoleActions, DownloadLine, InviteInfo } from '../../../client/commands/run.ts';
import { ConnectionState } from './connection.svelte.ts';
import { offlineWords } from './form-error.svelte.ts';
import { NotifierState, type NotificationHost } from './notify.svelte.ts';
import { ConsoleState } from './console.svelte.ts';
import { describeError, errorCode } from '../../../client/commands/errors.ts';
import { GroupsState, GroupView } from './groups.svelte.ts';
import { planShare, type PickedFile } from './batch-input.ts';
import type { BatchFile } from '../../../protocol/batch.ts';
import { NoticesState } from './notices.svelte.ts';
import { RouterState, type HistoryLike, type Place } from './router.svelte.ts';
import { groupLink } from './routes.ts';
import { SessionState, type KeyValueStorage } from './session.svelte.ts';
import type { TransferPort } from './transfer-port.ts';
import { TransfersState } from './transfers.svelte.ts';
import { TransferActions } from './transfer-actions.ts';
import { SpeedLimitStore } from './speed-limit-store.ts';

export interface AppOptions {
  client: TrackerClient;
  storage: KeyValueStorage | undefined;
  place: Place;
  history: HistoryLike | undefined;
  /** This page's origin, for group links. */
  origin: string;
  /** Opens the file picker (a DOM concern, handed in). */
  pickFiles: () => Promise<File[]>;
  /** Starts the transfer engine for a signed-in user (absent in tests of the account screens). */
  startTransfers?: (userId: string) => Promise<TransferPort>;
  /** The browser's notifications (notify-browser.ts); absent: none, the page's notices alone. */
  notifications?: NotificationHost;
}


export class MeshdropApp implements ConsoleActions {
  readonly connection = new ConnectionState();
  readonly session: SessionState;
  readonly notices = new NoticesState();
  readonly groups = new GroupsState();
  readonly view = new GroupView();
  readonly transfers = new TransfersState();
  /** Share, download, pause, save…: what a person does with files in this tab (transfer-actions.ts). */
  readonly transferActions: TransferActions;
  readonly console = new ConsoleState();
  /** "Notify me": browser notifications for a finished download or a join request (notify.svelte.ts). */
  readonly notifier: NotifierState;
  readonly router: RouterState;
  readonly origin: string;

  #client: TrackerClient;
  #pickFiles: () => Promise<File[]>;
  #startTransfers: AppOptions['startTransfers'];
  /** Bumped on every sign-in and sign-out, so an engine that finishes starting after its session ended is closed, not attached. */
  #sessionEpoch = 0;
  #unsubscribe: (() => void)[] = [];

  constructor(options: AppOptions) {
    this.#client = options.client;
    this.session = new SessionState(options.storage);
    this.transferActions = new TransferActions(this.transfers, this.notices, new SpeedLimitStore(options.storage));
    this.router = new RouterState(options.place, options.history);
    this.notifier = new NotifierState(options.notifications, options.storage);
    this.transferActions.onDownloaded = (name) => this.notifier.notify({ kind: 'download', name }, this.router.route);
    this.origin = options.origin;
    this.#pickFiles = options.pickFiles;
    this.#startTransfers = options.startTransfers;
  }

  get userId(): string | undefined {
    return this.session.userId;
  }

  // ------------------------------------------------------------ life cycle

  start(): void {
    const c = this.#client;
    this.#unsubscribe.push(
      c.on('status', ({ status, url }) => this.connection.setStatus(status, url)),
      c.on('ready', ({ url }) => {
        this.connection.ready(url, c.trackerName);
        void this.#onReady();
      }),
      c.on('sessionLost', ({ reason }) => this.#signedOutByTracker(reason)),
      c.on('event', (e) => this.#onEvent(e)),
      // The one refusal retrying cannot cure, on the first connection or a reconnect after the tracker was
      // upgraded: the tracker's own words say which side is older and what to do.
      c.on('refused', ({ message }) => {
        this.connection.refused(message);
        this.notices.push('error', message);
      }),
    );
    if (this.session.stored()) this.session.setRestoring(true);
    // No tracker answering yet says 'reconnecting' and keeps trying without a click; it ends only with stop().
    // It ends only with stop() or a refusal, which the 'refused' listener above tells.
    this.#client.connect({ keepTrying: true }).catch(() => undefined);
  }

  /** Plugs in a transfer engine for the signed-in session. */
  attachTransfers(port: TransferPort, userId?: string): void {
    this.transferActions.attach(port, userId);
  }

  async #sessionStarted(userId: string): Promise<void> {
    const epoch = ++this.#sessionEpoch;
    if (!this.#startTransfers) return;
    try {
      const port = await this.#startTransfers(userId);
      if (epoch !== this.#sessionEpoch) port.close();
      else this.attachTransfers(port, userId);
    } catch (err) {
      if (epoch === this.#sessionEpoch) this.notices.push('error', `File transfer could not start: ${describeError(err)}`);
    }
  }

  stop(): void {
    this.transferActions.detach();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.notices.reset();
    this.#client.close();
  }

  async #onReady(): Promise<void> {
    const stored = this.session.stored();
    if (!this.#client.userId && this.session.restoring && stored) {
      try {
        const userId = await this.#client.resume(stored.token);
        this.session.signedInAs(userId, stored.token);
        void this.#sessionStarted(userId);
      } catch (err) {
        this.session.reset();
        if (errorCode(err) !== ErrorCode.InvalidSession) this.notices.push('error', describeError(err));
        else this.notices.push('info', 'Your session has ended. Please sign in again.');
        return;
      }
    } else if (!this.#client.userId) {
      this.session.setRestoring(false);
      return;
    }
    await this.refresh();
  }

  /** Everything on screen, fetched again (after sign-in and after a reconnection). */
  async refresh(): Promise<void> {
    if (!this.session.signedIn) return;
    await this.#guard(async () => {
      await this.listGroups();
      const r = this.router.route;
      if (r.page === 'group') await this.loadGroup(r.groupId);
    });
  }

  // ------------------------------------------------------------ accounts

  async createUser(userId: string, password: string): Promise<void> {
    await this.#client.request('create_user', { userId, password });
  }

  async login(userId: string, password: string): Promise<void> {
    const { token } = await this.#client.login(userId, password);
    this.session.signedInAs(userId, token);
    void this.#sessionStarted(userId);
    await this.refresh();
  }

  /** Registers and signs in: one step for a person on the sign-up form. */
  async signUp(userId: string, password: string): Promise<void> {
    await this.createUser(userId, password);
    await this.login(userId, password);
  }

  async logout(): Promise<void> {
    try {
      await this.#client.logout();
    } finally {
      this.#clearSignedIn();
    }
  }

  /** My sessions (browsers, devices), this one marked. */
  async listSessions(): Promise<SessionSummary[]> {
    return this.#client.listSessions();
  }

  /** Ends one of my sessions; if it is this one, the tracker's session_revoked signs this tab out. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.#client.revokeSession(sessionId);
  }

  /** Sign out everywhere: every session of mine ends, on every tracker. */
  async logoutAll(): Promise<void> {
    // This tab hears session_revoked like every other: no "you were signed out" notice for what it asked.
    this.#endingAll = true;
    try {
      await this.#client.logoutAll();
    } finally {
      this.#endingAll = false;
      this.#clearSignedIn();
    }
  }
  #endingAll = false;

  #clearSignedIn(): void {
    this.#sessionEpoch++;
    this.transferActions.detach();
    this.session.reset();
    this.groups.reset();
    this.view.reset();
  }

  #signedOutByTracker(reason: string): void {
    if (!this.session.signedIn || this.#endingAll) return;
    this.#clearSignedIn();
    this.notices.push('error', `You were signed out${reason ? ` (${reason})` : ''}. Please sign in again.`);
  }

  // ------------------------------------------------------------ groups

  async listGroups(): Promise<GroupSummary[]> {
    const { groups } = await this.#client.request('list_groups', {});
    this.groups.set(groups);
    return groups;
  }

  async createGroup(groupId: string): Promise<void> {
    await this.#client.request('create_group', { groupId });
    this.groups.setStatus(groupId, 'owner', this.userId);
    await this.listGroups();
  }

  async joinGroup(groupId: string, invite?: string): Promise<MembershipStatus> {
    const { status } = await this.#client.request('join_group', invite ? { groupId, invite } : { groupId });
    this.groups.setStatus(groupId, status);
    await this.listGroups();
    if (this.view.groupId === groupId) await this.loadGroup(groupId);
    return status;
  }

  async leaveGroup(groupId: string): Promise<void> {
    await this.#client.request('leave_group', { groupId });
    await this.listGroups();
    if (this.view.groupId === groupId) await this.loadGroup(groupId);
  }

  async listRequests(groupId: string): Promise<{ userId: string; requestedAt: number }[]> {
    const { requests } = await this.#client.request('list_requests', { groupId });
    if (this.view.groupId === groupId) this.view.setRequests(requests);
    return requests;
  }

  async acceptRequest(groupId: string, userId: string): Promise<void> {
    await this.#client.request('accept_request', { groupId, userId });
    await this.#afterDecision(groupId, userId);
  }

  async rejectRequest(groupId: string, userId: string): Promise<void> {
    await this.#client.request('reject_request', { groupId, userId });
    await this.#afterDecision(groupId, userId);
  }

  async #afterDecision(groupId: string, userId: string): Promise<void> {
    // The request is answered: its notice has nothing left to ask for.
    this.notices.dismissText(joinRequestText(userId, groupId));
    if (this.view.groupId !== groupId) return;
    this.view.removeRequest(userId);
    await this.loadGroup(groupId);
  }

  async createInvite(groupId: string, ttlMs: number): Promise<string> {
    const { token, expiresAt } = await this.#client.request('create_invite', { groupId, ttlMs });
    const link = groupLink(this.linkOrigin, groupId, token);
    if (this.view.groupId === groupId) this.view.setInvite({ link, expiresAt });
    if (this.view.groupId === groupId) await this.listInvites(groupId);
    return link;
  }

  /** Owner: the invites that still work, by id (the tracker never gives a link back). */
  async listInvites(groupId: string): Promise<InviteInfo[]> {
    const { invites } = await this.#client.request('list_invites', { groupId });
    if (this.view.groupId === groupId) this.view.setInvites(invites);
    return invites;
  }

  async revokeInvite(groupId: string, inviteId: string): Promise<void> {
    await this.#client.request('revoke_invite', { groupId, inviteId });
    if (this.view.groupId !== groupId) return;
    // The link just made may be the one revoked: never leave a dead link on screen to copy.
    this.view.setInvite(undefined);
    await this.listInvites(groupId);
  }

  /** Owner: removes a member; they lose the group's files at once, on every tracker. */
  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.#client.request('remove_member', { groupId, userId });
    if (this.view.groupId === groupId) this.view.removeMember(userId);
    await this.listGroups();
    if (this.view.groupId === groupId) await this.loadGroup(groupId);
  }

  groupLink(groupId: string): string {
    return groupLink(this.linkOrigin, groupId);
  }

  /** Where links people hand on point: the tracker's public address (--public-url), else this page's origin. */
  get linkOrigin(): string {
    return this.#client.appUrl ?? this.origin;
  }

  /** Opens a group's page data: members, files, requests, as far as my status allows. */
  async loadGroup(groupId: string): Promise<void> {
    this.view.open(groupId);
    if (!this.groups.loaded) await this.listGroups();
    const status = this.groups.statusOf(groupId);
    if (status !== 'owner' && status !== 'member') {
      this.view.setMembers([]);
      this.view.setFiles([]);
      this.view.setRequests([]);
      this.view.setInvites([]);
      return;
    }
    const [members, files] = await Promise.all([
      this.#client.request('list_members', { groupId }),
      this.#client.request('list_files', { groupId }),
    ]);
    if (this.view.groupId !== groupId) return; // the person moved on meanwhile
    this.view.setMembers(members.members);
    this.view.setFiles(files.files);
    if (status === 'owner') await Promise.all([this.listRequests(groupId), this.listInvites(groupId)]);
    else {
      this.view.setRequests([]);
      this.view.setInvites([]);
    }
  }

  // ------------------------------------------------------------ files

  async listFiles(groupId: string): Promise<FileSummary[]> {
    const { files } = await this.#client.request('list_files', { groupId });
    if (this.view.groupId === groupId) this.view.setFiles(files);
    return files;
  }

  /**
   * Shares files into a group, then lists the group's files again: one file
   * as itself (TransferActions.share); several, or a folder, as one batch
   * entry (planShare, web/src/ui/batch-input.ts), named `batchName` if given.
   */
  async share(groupId: string, files: (File | PickedFile)[], batchName = ''): Promise<string[]> {
    const plan = planShare(files.map((f) => (f instanceof File ? { file: f, path: f.webkitRelativePath || f.name } : f)), batchName);
    if (!plan) return [];
    if (plan.kind === 'refused') throw new Error(plan.reason);
    let shared: string[];
    if (plan.kind === 'single') shared = await this.transferActions.share(groupId, [plan.handle ? { file: plan.file, handle: plan.handle } : plan.file]);
    else {
      await this.transferActions.shareBatch(groupId, plan.name, plan.files);
      shared = [plan.name];
    }
    if (this.view.groupId === groupId) await this.listFiles(groupId).catch(() => undefined);
    return shared;
  }

  /** A batch's file list (path and size, in piece-space order), from the tracker. */
  async batchFiles(fileId: string): Promise<BatchFile[]> {
    const { file } = await this.#client.request('get_file', { fileId });
    return file.meta.files ?? [];
  }

  async pickAndShare(groupId: string): Promise<string[]> {
    this.transferActions.require();
    const files = await this.#pickFiles();
    if (files.length === 0) return [];
    return this.share(groupId, files);
  }

  /** `paths`: of a batch, only these files (asked again, or without paths, it widens). */
  download(file: FileSummary, paths?: string[]): Promise<void> {
    return this.transferActions.download(file, paths);
  }

  async stopShare(file: FileSummary): Promise<void> {
    await this.#client.request('stop_share', { fileId: file.fileId });
    this.view.removeFile(file.fileId);
  }

  downloads(): DownloadLine[] {
    return this.transferActions.downloads();
  }

  // ------------------------------------------------------------ events

  #onEvent(e: TrackerEvent): void {
    switch (e.event) {
      case 'join_requested':
        this.notices.push('info', joinRequestText(e.userId, e.groupId), { href: `/g/${encodeURIComponent(e.groupId)}`, action: 'Review' });
        this.notifier.notify({ kind: 'join', userId: e.userId, groupId: e.groupId }, this.router.route);
        if (this.view.groupId === e.groupId) void this.#guard(() => this.listRequests(e.groupId));
        break;
      case 'request_answered':
        this.notices.push(
          e.accepted ? 'success' : 'info',
          e.accepted ? `You are now a member of ${e.groupId}.` : `The owner of ${e.groupId} turned down your request.`,
          e.accepted ? { href: `/g/${encodeURIComponent(e.groupId)}`, action: 'Open' } : undefined,
        );
        void this.refresh();
        break;
      case 'members_changed':
        void this.#guard(async () => {
          await this.listGroups();
          if (this.view.groupId === e.groupId) await this.loadGroup(e.groupId);
        });
        break;
      case 'file_shared':
        this.view.upsertFile(e.file);
        if (e.file.sharedBy !== this.userId) {
          // One notice per entry: a batch of twenty files is one piece of news, not twenty.
          const what = e.file.fileCount !== undefined ? `${e.file.name} (${e.file.fileCount} files)` : e.file.name;
          this.notices.push('info', `${e.file.sharedBy} shared ${what} in ${e.file.groupId}.`, {
            href: `/g/${encodeURIComponent(e.file.groupId)}`,
            action: 'Open',
          });
        }
        break;
      case 'file_stopped':
        this.view.removeFile(e.fileId);
        break;
      case 'holders_online':
        // Pushed to every member as presence changes, here or on another tracker: the list follows it live.
        this.view.setHoldersOnline(e.fileId, e.holdersOnline, e.lastOnlineAt, e.partialOnline);
        break;
      case 'holders_changed':
      case 'signal':
      case 'session_revoked':
        break; // the engine and TrackerClient handle these
    }
  }

  /** Background work: a failure becomes a notice, never an unhandled rejection. */
  async #guard(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (errorCode(err) === ErrorCode.Unauthenticated && !this.session.signedIn) return;
      this.notices.push('error', describeError(err));
    }
  }

  /** For buttons: run an action, show its error in words. Resolves true if it worked. */
  /**
   * `act` for an action only the tracker can do: with no tracker reachable it
   * is refused at once, saying so and that `action` will work once it is back,
   * instead of waiting out the request's timeout (issue 13 item 12).
   */
  async actOnline(action: string, work: () => Promise<unknown>): Promise<boolean> {
    const status = this.connection.status;
    if (status === 'reconnecting' || status === 'idle' || status === 'closed') {
      this.notices.push('error', offlineWords(action));
      return false;
    }
    return this.act(work);
  }

  async act(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (err) {
      // Closing a file or save dialog is a choice, not an error.
      if (!(err instanceof DOMException && err.name === 'AbortError')) this.notices.push('error', describeError(err));
      return false;
    }
  }
}

const joinRequestText = (userId: string, groupId: string): string => `${userId} asks to join ${groupId}.`;
