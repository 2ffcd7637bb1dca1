/**
 * Quotas: how much one user or one group may put into the replicated state.
 * Every op is kept forever by every tracker of the mesh, so one member with
 * no limit (800 files of 16,384 hashes: a 564 MB op log) made the state too
 * big for everyone. Pure: the handlers ask before they commit, and refuse
 * with `quota_exceeded` and a message naming the quota and its limit.
 *
 * Enforced where ops are made (the handlers), not in the fold (state/apply.ts),
 * on purpose:
 * - Quotas are the operator's to set per tracker (flags); a fold rule must
 *   give the same state on every tracker, so it could not read them.
 * - A fixed fold rule would make an upload that one tracker acknowledged
 *   `ok` inert after a merge (two concurrent uploads on two trackers, each
 *   under the quota there, together over it): an acknowledged write lost,
 *   which is worse than the overshoot it prevents.
 * - The overshoot is bounded: each tracker checks against what it holds, so
 *   at most one quota's worth per tracker accumulates during a partition
 *   (more trackers, more slack; never unbounded). Ops from other trackers come
 *   from trackers that enforce their own quotas; a forged op is the mesh
 *   authentication's to refuse, not the fold's.
 * Counting a group's records scans that group (bounded by its quotas); a
 * user's files and hashes are counted over all files once per state version
 * (`fileUsage`), so a flood of refused uploads does not rescan the state each.
 */
import { PIECE_SIZE } from '../protocol/constants.ts';
import type { GroupRecord, State } from './state/model.ts';

export interface Quotas {
  /** Files one user shares, over all groups. */
  filesPerUser: number;
  /** Files shared into one group, by all its members. */
  filesPerGroup: number;
  /** Piece hashes of all the files one user shares (each is 43 bytes of JSON in every tracker's log). */
  hashesPerUser: number;
  /** Piece hashes of all the files of one group. */
  hashesPerGroup: number;
  /** Groups one user owns (creating one needs a free slot). */
  groupsPerUser: number;
  /** Unexpired invites of one group. */
  invitesPerGroup: number;
  /** Join requests waiting for the owner's decision in one group. */
  requestsPerGroup: number;
  /**
   * Piece hashes one user may upload in a day (a token bucket, per tracker).
   * The op log keeps every op, a stopped share included, so without it a
   * member could share and stop sharing in a loop: the state within quota,
   * the log growing by 700 KB a round.
   */
  hashesPerUserPerDay: number;
}

/**
 * Defaults for a family or a team: far above what people share by hand, far
 * below what makes the log a problem. 131,072 hashes is 64 GiB of files at
 * PIECE_SIZE and about 5.6 MB of metadata per user; a group holds twice that.
 * Worst case for a 20-person deployment: ~110 MB of log, restart in seconds.
 */
export const DEFAULT_QUOTAS: Quotas = {
  filesPerUser: 1000,
  filesPerGroup: 2000,
  hashesPerUser: (64 * 1024 ** 3) / PIECE_SIZE,
  hashesPerGroup: (128 * 1024 ** 3) / PIECE_SIZE,
  groupsPerUser: 50,
  invitesPerGroup: 20,
  requestsPerGroup: 100,
  // Fill the quota and replace all of it once a day.
  hashesPerUserPerDay: (2 * 64 * 1024 ** 3) / PIECE_SIZE,
};

/** The names operators use (`--quota files-per-user=500`), one per quota. */
export const QUOTA_NAMES: Record<keyof Quotas, string> = {
  filesPerUser: 'files-per-user',
  filesPerGroup: 'files-per-group',
  hashesPerUser: 'hashes-per-user',
  hashesPerGroup: 'hashes-per-group',
  groupsPerUser: 'groups-per-user',
  invitesPerGroup: 'invites-per-group',
  requestsPerGroup: 'requests-per-group',
  hashesPerUserPerDay: 'hashes-per-user-per-day',
};

/**
 * `name=N` settings over the defaults. Throws a readable Error on an unknown
 * name or a value that is not a whole number ≥ 0 (0 forbids the thing).
 */
export function parseQuotas(settings: readonly string[]): Quotas {
  const quotas = { ...DEFAULT_QUOTAS };
  const byName = new Map(Object.entries(QUOTA_NAMES).map(([key, name]) => [name, key as keyof Quotas]));
  for (const setting of settings) {
    const m = /^([a-z-]+)=(\d{1,15})$/.exec(setting.trim());
    const key = m && byName.get(m[1]!);
    if (!m || !key) throw new Error(`--quota: expected NAME=N with NAME one of ${[...byName.keys()].join(', ')}; got ${JSON.stringify(setting)}`);
    quotas[key] = Number(m[2]);
  }
  return quotas;
}

const refusal = (key: keyof Quotas, quotas: Quotas, what: string): string =>
  `${what}, the most allowed (quota ${QUOTA_NAMES[key]} = ${quotas[key]})`;

export interface FileUsage {
  files: number;
  hashes: number;
}

/** Files and piece hashes shared, per sharer. */
export function fileUsageByUser(state: State): Map<string, FileUsage> {
  const byUser = new Map<string, FileUsage>();
  for (const file of state.files.values()) {
    let usage = byUser.get(file.sharedBy);
    if (!usage) byUser.set(file.sharedBy, (usage = { files: 0, hashes: 0 }));
    usage.files++;
    usage.hashes += file.meta.pieceHashes.length;
  }
  return byUser;
}

const usageCache = new WeakMap<State, { version: number; byUser: Map<string, FileUsage> }>();

/** One user's `fileUsageByUser`, counted at most once per state version (see Replica.version). */
export function fileUsage(replica: { readonly state: State; readonly version: number }, userId: string): FileUsage {
  let cached = usageCache.get(replica.state);
  if (cached?.version !== replica.version) {
    cached = { version: replica.version, byUser: fileUsageByUser(replica.state) };
    usageCache.set(replica.state, cached);
  }
  return cached.byUser.get(userId) ?? { files: 0, hashes: 0 };
}

/** Why a user who shares `usage` may not share a file of `pieces` hashes into `group`, or undefined if they may. */
export function fileShareRefusal(state: State, quotas: Quotas, usage: FileUsage, group: GroupRecord, pieces: number): string | undefined {
  const { files: userFiles, hashes: userHashes } = usage;
  if (userFiles + 1 > quotas.filesPerUser) return refusal('filesPerUser', quotas, `you already share ${userFiles} files`);
  if (userHashes + pieces > quotas.hashesPerUser) {
    return refusal('hashesPerUser', quotas, `your files would have ${userHashes + pieces} pieces in all`);
  }
  let groupHashes = 0;
  for (const fileId of group.files) groupHashes += state.files.get(fileId)?.meta.pieceHashes.length ?? 0;
  if (group.files.size + 1 > quotas.filesPerGroup) {
    return refusal('filesPerGroup', quotas, `${group.groupId} already has ${group.files.size} files`);
  }
  if (groupHashes + pieces > quotas.hashesPerGroup) {
    return refusal('hashesPerGroup', quotas, `the files of ${group.groupId} would have ${groupHashes + pieces} pieces in all`);
  }
  return undefined;
}

/** Why `userId` may not create another group, or undefined. */
export function groupCreateRefusal(state: State, quotas: Quotas, userId: string): string | undefined {
  let owned = 0;
  for (const group of state.groups.values()) if (group.owner === userId) owned++;
  return owned + 1 > quotas.groupsPerUser ? refusal('groupsPerUser', quotas, `you already own ${owned} groups`) : undefined;
}

/** Why the owner of `group` may not make another invite at `nowMs`, or undefined. Expired invites do not count. */
export function inviteRefusal(state: State, quotas: Quotas, group: GroupRecord, nowMs: number): string | undefined {
  let live = 0;
  for (const invite of state.invites.values()) if (invite.groupKey === group.key && invite.expiresAt >= nowMs) live++;
  return live + 1 > quotas.invitesPerGroup
    ? refusal('invitesPerGroup', quotas, `${group.groupId} already has ${live} unexpired invites`)
    : undefined;
}

/** Why nobody may ask to join `group` now (too many requests wait for its owner), or undefined. */
export function joinRequestRefusal(quotas: Quotas, group: GroupRecord): string | undefined {
  let pending = 0;
  for (const m of group.members.values()) if (m.status === 'pending') pending++;
  return pending + 1 > quotas.requestsPerGroup
    ? refusal('requestsPerGroup', quotas, `${group.groupId} already has ${pending} requests waiting for its owner`)
    : undefined;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * `hashes-per-user-per-day`: a token bucket per user, full at first (a user
 * may upload a whole quota at once) and refilled at the daily rate. In
 * memory, per tracker: a restart refills it, which only the operator can do.
 */
export class UploadBudget {
  #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Takes `hashes` from `userId`'s bucket, or says why not (and how long to wait). */
  take(userId: string, hashes: number, quotas: Quotas): string | undefined {
    const perDay = quotas.hashesPerUserPerDay;
    const now = this.now();
    const bucket = this.#buckets.get(userId) ?? { tokens: perDay, at: now };
    bucket.tokens = Math.min(perDay, bucket.tokens + ((now - bucket.at) * perDay) / DAY_MS);
    bucket.at = now;
    this.#buckets.set(userId, bucket);
    if (hashes > bucket.tokens) {
      const waitMin = hashes > perDay ? Infinity : Math.ceil((((hashes - bucket.tokens) / perDay) * DAY_MS) / 60_000);
      const when = Number.isFinite(waitMin) ? `; try again in ${waitMin} min` : '';
      return `${refusal('hashesPerUserPerDay', quotas, 'you have uploaded this many file pieces in the last day')}${when}`;
    }
    bucket.tokens -= hashes;
    // A full bucket is the default: forget it, so idle users cost no memory.
    if (bucket.tokens >= perDay) this.#buckets.delete(userId);
    return undefined;
  }
}
