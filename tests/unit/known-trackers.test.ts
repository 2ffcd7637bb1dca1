/** The remembered tracker list shrinks (web/src/platform/known-trackers.ts): bounded, and forgets trackers gone from the mesh or unseen for long. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORGET_TRACKER_AFTER_MS,
  KNOWN_TRACKERS_KEY,
  MAX_KNOWN_TRACKERS,
  MAX_TRACKER_FAILURES,
  afterDialFailure,
  afterHello,
  loadTrackerRecords,
  pruneTrackers,
  saveTrackerRecords,
  type KnownTracker,
} from '../../web/src/platform/known-trackers.ts';

const urls = (records: readonly KnownTracker[]) => records.map((r) => r.url);

function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
}

test('a hello keeps the tracker reached (with its name) and the ones it lists', () => {
  const list = afterHello([], { url: 'ws://a/ws', name: 'Home', listed: ['ws://a/ws', 'ws://b/ws'] }, 1000);
  assert.deepEqual(list, [
    { url: 'ws://a/ws', name: 'Home', seenAt: 1000, failures: 0, listed: true },
    { url: 'ws://b/ws', seenAt: 1000, failures: 0, listed: true },
  ]);
  const later = afterHello(list, { url: 'ws://b/ws', name: 'Office', listed: ['ws://b/ws'] }, 2000);
  assert.deepEqual(later.find((r) => r.url === 'ws://a/ws'), { url: 'ws://a/ws', name: 'Home', seenAt: 1000, failures: 0, listed: false }, 'A kept, its name too, no longer listed');
  assert.equal(later.find((r) => r.url === 'ws://b/ws')!.name, 'Office');
});

test('a tracker the last hello did not list is dropped after MAX_TRACKER_FAILURES failed dials; a listed one is kept', () => {
  let list = afterHello([], { url: 'ws://b/ws', listed: ['ws://b/ws', 'ws://c/ws'] }, 0);
  list = [...list, { url: 'ws://gone/ws', seenAt: 0, failures: 0, listed: false }];
  for (let i = 0; i < MAX_TRACKER_FAILURES - 1; i++) list = afterDialFailure(afterDialFailure(list, 'ws://gone/ws', 10), 'ws://c/ws', 10);
  assert.deepEqual(urls(list), ['ws://b/ws', 'ws://c/ws', 'ws://gone/ws'], 'kept through a few failures');
  list = afterDialFailure(afterDialFailure(list, 'ws://gone/ws', 10), 'ws://c/ws', 10);
  assert.deepEqual(urls(list), ['ws://b/ws', 'ws://c/ws'], 'the unlisted one goes; the listed one stays however often it fails');
  list = afterHello(list, { url: 'ws://b/ws', listed: ['ws://b/ws', 'ws://c/ws'] }, 20);
  assert.equal(list.find((r) => r.url === 'ws://c/ws')!.failures, 0, 'listed again: its failures start over');
});

test('a tracker unseen for FORGET_TRACKER_AFTER_MS is forgotten, listed or not; at most MAX_KNOWN_TRACKERS kept, the newest', () => {
  const old: KnownTracker = { url: 'ws://old/ws', seenAt: 0, failures: 0, listed: true };
  const fresh: KnownTracker = { url: 'ws://fresh/ws', seenAt: 10, failures: 0, listed: true };
  assert.deepEqual(urls(pruneTrackers([old, fresh], FORGET_TRACKER_AFTER_MS)), ['ws://old/ws', 'ws://fresh/ws']);
  assert.deepEqual(urls(pruneTrackers([old, fresh], FORGET_TRACKER_AFTER_MS + 1)), ['ws://fresh/ws']);
  const many = Array.from({ length: 40 }, (_, i): KnownTracker => ({ url: `ws://t${i}/ws`, seenAt: i, failures: 0, listed: true }));
  const kept = pruneTrackers(many, 100);
  assert.equal(kept.length, MAX_KNOWN_TRACKERS);
  assert.deepEqual(urls(kept), urls(many.slice(40 - MAX_KNOWN_TRACKERS)), 'the most recently seen, in their order');
  // A hello listing 40 trackers still leaves at most the bound.
  assert.equal(afterHello([], { url: 'ws://a/ws', listed: urls(many) }, 5).length, MAX_KNOWN_TRACKERS);
});

test('records round-trip through storage; an old plain list reads as just seen; junk and refusing storage change nothing', () => {
  const storage = memoryStorage();
  const list = afterHello([], { url: 'ws://a/ws', name: 'Home', listed: ['ws://a/ws'] }, 5);
  saveTrackerRecords(storage, list, 5);
  assert.deepEqual(loadTrackerRecords(storage, 6), list);
  const old = memoryStorage({ [KNOWN_TRACKERS_KEY]: JSON.stringify(['ws://a/ws', 'http://x/ws']) });
  assert.deepEqual(loadTrackerRecords(old, 7), [{ url: 'ws://a/ws', seenAt: 7, failures: 0, listed: true }]);
  const junk = memoryStorage({ [KNOWN_TRACKERS_KEY]: JSON.stringify([{ url: 'ws://a/ws' }, { url: 'ws://b/ws', seenAt: 1, failures: -3, name: 7 }, null, 5]) });
  assert.deepEqual(loadTrackerRecords(junk, 9), [{ url: 'ws://b/ws', seenAt: 1, failures: 0, listed: true }]);
  const refusing = { getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } };
  assert.deepEqual(loadTrackerRecords(refusing, 1), []);
  assert.doesNotThrow(() => saveTrackerRecords(refusing, list, 1));
});
