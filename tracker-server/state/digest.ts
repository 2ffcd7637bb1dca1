/**
 * One canonical form of the state: sorted arrays, fixed field order. It is
 * what the digest hashes (two trackers agree iff their digests match).
 * Snapshots do not store it: they hold ops, not the folded state
 * (store/oplog.ts says why). `canonicalState` / `stateFromCanonical` round-trip
 * a state through plain JSON for tests and the bench.
 */
import { createHash } from 'node:crypto';
import type { FileRecord, GroupRecord, InviteRecord, Membership, SessionRecord, State, UserRecord } from './model.ts';
import { emptyState } from './model.ts';
import { canonicalFileMeta } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';

export interface CanonicalState {
  users: [string, UserRecord][];
  sessions: [string, SessionRecord][];
  groups: {
    key: string;
    groupId: string;
    owner: string;
    createdHlc: number;
    members: [string, Membership][];
    files: string[];
    departed: [string, number][];
  }[];
  files: [string, FileRecord][];
  invites: [string, InviteRecord][];
}

const byKey = <T>(map: Map<string, T>): [string, T][] =>
  [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/**
 * The canonical records of each part of the state, in order, computed only
 * when asked (`canonicalPieces` streams them one at a time). `metaOf` says
 * how a file's metadata appears: itself, or only its hash.
 */
function canonicalSections<M>(state: State, metaOf: (meta: FileMeta) => M) {
  return {
    users: () => byKey(state.users).map(([k, u]): [string, UserRecord] => [k, { key: u.key, salt: u.salt, hash: u.hash, createdHlc: u.createdHlc }]),
    sessions: () =>
      byKey(state.sessions).map(([k, s]): [string, SessionRecord] => [
        k,
        { userId: s.userId, userKey: s.userKey, openedHlc: s.openedHlc, renewedHlc: s.renewedHlc, idleMs: s.idleMs, maxMs: s.maxMs },
      ]),
    groups: () =>
      byKey(state.groups).map(([, g]) => ({
        key: g.key,
        groupId: g.groupId,
        owner: g.owner,
        createdHlc: g.createdHlc,
        members: byKey(g.members).map(([u, m]): [string, Membership] => [u, { status: m.status, since: m.since, userKey: m.userKey }]),
        files: [...g.files].sort(),
        departed: byKey(g.departed),
      })),
    files: () =>
      byKey(state.files).map(([k, f]) => [
        k,
        { fileId: f.fileId, groupKey: f.groupKey, meta: metaOf(f.meta), sharedBy: f.sharedBy, sharedHlc: f.sharedHlc },
      ] as const),
    invites: () =>
      byKey(state.invites).map(([k, i]): [string, InviteRecord] => [k, { groupKey: i.groupKey, expiresAt: i.expiresAt, by: i.by, key: i.key, createdHlc: i.createdHlc }]),
  };
}

export function canonicalState(state: State): CanonicalState {
  const c = canonicalSections(state, (meta) => meta);
  return {
    users: c.users(),
    sessions: c.sessions(),
    groups: c.groups(),
    files: c.files().map(([k, f]): [string, FileRecord] => [k, f]),
    invites: c.invites(),
  };
}

export function stateFromCanonical(c: CanonicalState): State {
  const state = emptyState();
  for (const [k, u] of c.users) state.users.set(k, u);
  for (const [k, s] of c.sessions) {
    state.sessions.set(k, s);
    let mine = state.sessionsByUser.get(s.userId);
    if (!mine) state.sessionsByUser.set(s.userId, (mine = new Set()));
    mine.add(k);
  }
  for (const g of c.groups) {
    const group: GroupRecord = { ...g, members: new Map(g.members), files: new Set(g.files), departed: new Map(g.departed) };
    state.groups.set(g.groupId, group);
    state.groupsByKey.set(g.key, group);
    state.groupKeysUsed.add(g.key);
  }
  for (const [k, f] of c.files) state.files.set(k, f);
  for (const [k, i] of c.invites) state.invites.set(k, i);
  return state;
}

/**
 * SHA-256 of the canonical state: equal digests mean identical state.
 *
 * Fed piece by piece, never as one string: the canonical JSON of a big state
 * (800 file records of 16,384 hashes is 560 MB) is longer than the longest
 * string V8 allows, and `JSON.stringify` of it threw `RangeError` from an
 * anonymous GET /metrics. The text hashed is the canonical form with each
 * file's metadata replaced by the SHA-256 of its canonical text
 * (`metaDigest`): a hash tree, as collision-resistant as SHA-256 itself, so
 * equal digests still prove identical state (an order-free sum or XOR of
 * record hashes would not: records can be made to cancel out). Metadata
 * never changes once shared, so its hash is cached per metadata object and a
 * new digest after a write costs the small records only, not 700 KB per file.
 */
export function stateDigest(state: State): string {
  const hash = createHash('sha256');
  for (const piece of canonicalPieces(state)) hash.update(piece);
  return hash.digest('hex');
}

/**
 * The text `stateDigest` hashes, in pieces of at most one record each (a
 * file's metadata only by its hash). Joined, it is one JSON document: the
 * canonical state with every `meta` a hex string; "v" names this form.
 */
export function* canonicalPieces(state: State): Generator<string> {
  const c = canonicalSections(state, metaDigest);
  yield '{"v":2';
  for (const [name, records] of Object.entries(c)) {
    yield `,${JSON.stringify(name)}:[`;
    let first = true;
    for (const record of records()) {
      yield (first ? '' : ',') + JSON.stringify(record);
      first = false;
    }
    yield ']';
  }
  yield '}';
}

const metaDigests = new WeakMap<FileMeta, string>();

/** SHA-256 of a file's canonical metadata (bounded by MAX_PIECES: one upload frame), cached: metadata is never changed. */
export function metaDigest(meta: FileMeta): string {
  let digest = metaDigests.get(meta);
  if (digest === undefined) {
    digest = createHash('sha256').update(canonicalFileMeta(meta)).digest('hex');
    metaDigests.set(meta, digest);
  }
  return digest;
}

/**
 * The digest of a replica's state, computed at most once per state version:
 * /metrics asked in a loop hashes once until the next op. `computations`
 * counts the hashings (reported by /metrics, checked by tests).
 */
export class DigestCache {
  computations = 0;
  #state: State | undefined;
  #version = -1;
  #digest = '';

  digest(replica: { readonly state: State; readonly version: number }): string {
    if (replica.state !== this.#state || replica.version !== this.#version) {
      this.#digest = stateDigest(replica.state);
      this.#state = replica.state;
      this.#version = replica.version;
      this.computations++;
    }
    return this.#digest;
  }
}
