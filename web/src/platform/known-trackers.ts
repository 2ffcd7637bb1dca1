/**
 * The mesh's trackers this browser has heard of, kept across reloads
 * (issue 13, item 5). A reload the service worker answers because the
 * tracker that served the page is gone must still find a tracker: hello
 * lists the mesh's others (TrackerClient.knownTrackers), the app keeps that
 * list in localStorage, and the next page load dials it after its own.
 */

/** The localStorage key. A persistent contract with what browsers already hold. */
export const KNOWN_TRACKERS_KEY = 'meshdrop.trackers';

/** At most this many remembered: a mesh is a handful of trackers; a bound keeps a bad list from growing a dial loop. */
export const MAX_KNOWN_TRACKERS = 16;

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** The tracker URLs kept in `storage`: only ws:/wss: URLs, each once; anything else in the slot reads as none. */
export function loadKnownTrackers(storage: Store | undefined): string[] {
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
  return unique(value.filter(isTrackerUrl)).slice(0, MAX_KNOWN_TRACKERS);
}

/** Keeps `urls` (the client's knownTrackers after a hello); storage that refuses is left as it is. */
export function rememberTrackers(storage: Store | undefined, urls: readonly string[]): void {
  try {
    storage?.setItem(KNOWN_TRACKERS_KEY, JSON.stringify(unique(urls.filter(isTrackerUrl)).slice(0, MAX_KNOWN_TRACKERS)));
  } catch {
    // storage full or blocked: the next reload dials only the page's own tracker, as before
  }
}

/** What a page load dials, in order: the tracker that served it, then the remembered others. */
export function trackersToDial(own: string, remembered: readonly string[]): string[] {
  return unique([own, ...remembered]);
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
