/**
 * The mesh's trackers this browser has heard of, kept across reloads
 * (issue 13, item 5). A reload the service worker answers because the
 * tracker that served the page is gone must still find a tracker: hello
 * lists the mesh's others, the app keeps that list in localStorage, and the
 * next page load dials it after its own.
 *
 * The list also shrinks (it used to only grow): each tracker is kept with
 * when it was last seen (reached, or listed by the hello of one reached) and
 * how many dials to it failed since. One the last hello no longer lists is
 * dropped after MAX_TRACKER_FAILURES failed dials; any is dropped when not
 * seen for FORGET_TRACKER_AFTER_MS; at most MAX_KNOWN_TRACKERS are kept, the
 * most recently seen. Each also keeps the name its operator gave it
 * (`--name`), learned when this browser reached it, for the tracker list.
 * Pure apart from the Storage handed in.
 */
import { MAX_TRACKER_NAME_LENGTH } from '../../../protocol/constants.ts';

/** The localStorage key. A persistent contract with what browsers already hold. */
export const KNOWN_TRACKERS_KEY = 'meshdrop.trackers';

/** At most this many remembered: a mesh is a handful of trackers; a bound keeps a bad list from growing a dial loop. */
export const MAX_KNOWN_TRACKERS = 16;
/**
 * Failed dials after which a tracker the mesh no longer lists is forgotten:
 * five is a few reloads' worth of tries, so a tracker down for a moment is
 * kept while one taken out of the mesh goes.
 */
export const MAX_TRACKER_FAILURES = 5;
/** A tracker neither reached nor listed for 30 days is forgotten, listed or not: the mesh has moved on. */
export const FORGET_TRACKER_AFTER_MS = 30 * 24 * 3600_000;

export interface KnownTracker {
  url: string;
  /** Its operator's name for it (hello's `name`), once this browser reached it. */
  name?: string;
  /** When it was last reached or listed in a hello (ms since the epoch). */
  seenAt: number;
  /** Dials that failed since it was last reached or listed. */
  failures: number;
  /** Whether the last hello listed it. */
  listed: boolean;
}

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** The trackers kept in `storage` (only ws:/wss: URLs, each once); anything else in the slot reads as none. Old plain-URL lists are read as just seen. */
export function loadTrackerRecords(storage: Store | undefined, now: number): KnownTracker[] {
  let raw: string | null | undefined;
  try {
    raw = storage?.getItem(KNOWN_TRACKERS_KEY);
  } catch {
    return [];
  }
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const records: KnownTracker[] = [];
  for (const item of value) {
    const record = typeof item === 'string' ? { url: item, seenAt: now, failures: 0, listed: true } : readRecord(item);
    if (record && isTrackerUrl(record.url) && !records.some((r) => r.url === record.url)) records.push(record);
  }
  return records.slice(0, MAX_KNOWN_TRACKERS);
}

/** Writes `records`, pruned; storage that refuses is left as it is. */
export function saveTrackerRecords(storage: Store | undefined, records: readonly KnownTracker[], now: number): void {
  try {
    storage?.setItem(KNOWN_TRACKERS_KEY, JSON.stringify(pruneTrackers(records, now)));
  } catch {
    // storage full or blocked: the next reload dials only the page's own tracker, as before
  }
}

/**
 * A hello from `url` (named `name`) listed `listed`: the one reached and the
 * listed ones are seen now with no failures; the others are no longer listed.
 */
export function afterHello(records: readonly KnownTracker[], hello: { url: string; name?: string; listed: readonly string[] }, now: number): KnownTracker[] {
  const listed = new Set(hello.listed.filter(isTrackerUrl));
  const next = records.map((r) => (listed.has(r.url) || r.url === hello.url ? { ...r, seenAt: now, failures: 0, listed: listed.has(r.url) } : { ...r, listed: false }));
  for (const url of [hello.url, ...listed]) {
    if (isTrackerUrl(url) && !next.some((r) => r.url === url)) next.push({ url, seenAt: now, failures: 0, listed: listed.has(url) });
  }
  const reached = next.find((r) => r.url === hello.url);
  if (reached && hello.name) reached.name = hello.name;
  return pruneTrackers(next, now);
}

/** A dial to `url` failed. */
export function afterDialFailure(records: readonly KnownTracker[], url: string, now: number): KnownTracker[] {
  return pruneTrackers(records.map((r) => (r.url === url ? { ...r, failures: r.failures + 1 } : r)), now);
}

/** Drops the forgotten (see the top), then keeps the MAX_KNOWN_TRACKERS most recently seen. */
export function pruneTrackers(records: readonly KnownTracker[], now: number): KnownTracker[] {
  const kept = records.filter((r) => now - r.seenAt <= FORGET_TRACKER_AFTER_MS && (r.listed || r.failures < MAX_TRACKER_FAILURES));
  if (kept.length <= MAX_KNOWN_TRACKERS) return kept;
  const newest = new Set([...kept].sort((a, b) => b.seenAt - a.seenAt).slice(0, MAX_KNOWN_TRACKERS));
  return kept.filter((r) => newest.has(r));
}

/** The tracker URLs kept in `storage`. */
export function loadKnownTrackers(storage: Store | undefined, now = Date.now()): string[] {
  return loadTrackerRecords(storage, now).map((r) => r.url);
}

/** Keeps `urls` as just seen and listed (a plain list, as a hello gives it); storage that refuses is left as it is. */
export function rememberTrackers(storage: Store | undefined, urls: readonly string[], now = Date.now()): void {
  const records = unique(urls.filter(isTrackerUrl)).map((url) => ({ url, seenAt: now, failures: 0, listed: true }));
  saveTrackerRecords(storage, records.slice(0, MAX_KNOWN_TRACKERS), now);
}

/** What a page load dials, in order: the tracker that served it, then the remembered others. */
export function trackersToDial(own: string, remembered: readonly string[]): string[] {
  return unique([own, ...remembered]);
}

function readRecord(item: unknown): KnownTracker | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const r = item as Record<string, unknown>;
  if (typeof r.url !== 'string' || typeof r.seenAt !== 'number' || !Number.isFinite(r.seenAt)) return undefined;
  const failures = typeof r.failures === 'number' && Number.isInteger(r.failures) && r.failures >= 0 ? r.failures : 0;
  const record: KnownTracker = { url: r.url, seenAt: r.seenAt, failures, listed: r.listed !== false };
  if (typeof r.name === 'string' && r.name.length <= MAX_TRACKER_NAME_LENGTH) record.name = r.name;
  return record;
}

function isTrackerUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:';
  } catch {
    return false;
  }
}

function unique(urls: readonly string[]): string[] {
  return [...new Set(urls)];
}
