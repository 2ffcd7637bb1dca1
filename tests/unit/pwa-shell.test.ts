/**
 * The pure parts of the offline app shell (issue 13, item 5): the precache
 * list and cache name the build works out (web/build/precache.ts), and the
 * trackers a page load dials (web/src/platform/known-trackers.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { precacheList, serviceWorkerSource, shellCacheName, SHELL_CACHE_PREFIX, type BuiltFile } from '../../web/build/precache.ts';
import { KNOWN_TRACKERS_KEY, MAX_KNOWN_TRACKERS, loadKnownTrackers, rememberTrackers, trackersToDial } from '../../web/src/platform/known-trackers.ts';

const build: BuiltFile[] = [
  { name: 'assets/main-abc.js', content: 'js' },
  { name: 'index.html', content: '<html>' },
  { name: 'assets/main-abc.js.map', content: '{}' },
  { name: 'sw.js', content: 'old worker' },
  { name: 'harness.html', content: '<html>' },
  { name: 'icons/icon-192.png', content: new Uint8Array([1, 2, 3]) },
  { name: 'manifest.webmanifest', content: '{}' },
  { name: 'assets/main-def.css', content: 'css' },
];

test('the precache list is the built shell: index.html, assets, public files; no maps, no worker, no other page', () => {
  assert.deepEqual(precacheList(build), ['/assets/main-abc.js', '/assets/main-def.css', '/icons/icon-192.png', '/index.html', '/manifest.webmanifest']);
  // Nothing the tracker answers at run time can be in it: only built files are.
  for (const path of precacheList(build)) assert.ok(!['/ws', '/metrics', '/healthz'].includes(path));
});

test('the cache name changes with any cached file and with nothing else', () => {
  const name = shellCacheName(build);
  assert.match(name, new RegExp(`^${SHELL_CACHE_PREFIX}[0-9a-f]{16}$`));
  assert.equal(shellCacheName([...build].reverse()), name, 'the order files come in does not matter');
  const edited = build.map((f) => (f.name === 'index.html' ? { ...f, content: '<html lang="en">' } : f));
  assert.notEqual(shellCacheName(edited), name, 'an edited index.html is a new shell');
  const renamed = build.map((f) => (f.name === 'assets/main-abc.js' ? { ...f, name: 'assets/main-xyz.js' } : f));
  assert.notEqual(shellCacheName(renamed), name, 'a new hashed asset is a new shell');
  const mapOnly = build.map((f) => (f.name.endsWith('.map') ? { ...f, content: '{"x":1}' } : f));
  assert.equal(shellCacheName(mapOnly), name, 'a file that is not cached does not change the name');
});

test('the worker source starts with the list and the name', () => {
  const source = serviceWorkerSource(build, '/* body */\n');
  assert.ok(source.includes(`const PRECACHE = ${JSON.stringify(precacheList(build))};`));
  assert.ok(source.includes(`const CACHE_NAME = "${shellCacheName(build)}";`));
  assert.ok(source.endsWith('/* body */\n'));
});

function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
}

test('known trackers are kept and read back; the page\'s own tracker is dialled first, each once', () => {
  const storage = memoryStorage();
  rememberTrackers(storage, ['ws://a:1/ws', 'wss://b.example/ws', 'ws://a:1/ws']);
  assert.deepEqual(loadKnownTrackers(storage), ['ws://a:1/ws', 'wss://b.example/ws']);
  assert.deepEqual(trackersToDial('wss://b.example/ws', loadKnownTrackers(storage)), ['wss://b.example/ws', 'ws://a:1/ws']);
  assert.deepEqual(trackersToDial('ws://own/ws', []), ['ws://own/ws']);
});

test('whatever else is in the slot reads as no known trackers, or as the valid ones; storage that throws changes nothing', () => {
  assert.deepEqual(loadKnownTrackers(undefined), []);
  assert.deepEqual(loadKnownTrackers(memoryStorage({ [KNOWN_TRACKERS_KEY]: 'not json' })), []);
  assert.deepEqual(loadKnownTrackers(memoryStorage({ [KNOWN_TRACKERS_KEY]: '{"a":1}' })), []);
  assert.deepEqual(
    loadKnownTrackers(memoryStorage({ [KNOWN_TRACKERS_KEY]: JSON.stringify(['http://x/ws', 'javascript:alert(1)', 7, 'ws://ok/ws']) })),
    ['ws://ok/ws'],
  );
  const many = Array.from({ length: 40 }, (_, i) => `ws://t${i}/ws`);
  assert.equal(loadKnownTrackers(memoryStorage({ [KNOWN_TRACKERS_KEY]: JSON.stringify(many) })).length, MAX_KNOWN_TRACKERS);
  const refusing = { getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } };
  assert.deepEqual(loadKnownTrackers(refusing), []);
  assert.doesNotThrow(() => rememberTrackers(refusing, ['ws://a/ws']));
});
