/*
 * The service worker's fixed body (the build puts PRECACHE, CACHE_NAME and
 * CACHE_PREFIX above it). It exists so that a reload still opens the app
 * when the tracker that served it is gone; the app then dials the mesh's
 * other trackers it remembered (web/src/platform/known-trackers.ts).
 *
 * - install: cache the app shell of this build, in a cache named for it;
 * - activate: drop older shells of this app, take over open tabs;
 * - navigation: the network first (a running tracker always serves the
 *   newest page), the cached index.html when the network fails;
 * - the precached files (hashed, immutable): from the cache;
 * - /preview/<fileId> (issue 13, item 9): a file being downloaded, played
 *   or shown from its verified pieces while the rest arrives (below);
 * - everything else (/ws, /metrics, /healthz, any other request): not
 *   touched, never cached.
 */
/* global PRECACHE, CACHE_NAME, CACHE_PREFIX */
const NOT_THE_APP = ['/ws', '/metrics', '/healthz'];
const PREVIEW_PREFIX = '/preview/';
/** The page answers "open" at once; a page that says nothing in this time has no engine (signed out, closing). */
const OPEN_TIMEOUT_MS = 10_000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE_NAME)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE_NAME).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NOT_THE_APP.includes(url.pathname)) return;
  if (url.pathname.startsWith(PREVIEW_PREFIX)) {
    event.respondWith(preview(event, decodeURIComponent(url.pathname.slice(PREVIEW_PREFIX.length))));
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE_NAME).then((cache) => cache.match('/index.html')).then((shell) => shell || Response.error()),
      ),
    );
    return;
  }
  if (!PRECACHE.includes(url.pathname)) return;
  event.respondWith(
    caches
      .open(CACHE_NAME)
      .then((cache) => cache.match(url.pathname))
      .then((hit) => hit || fetch(request)),
  );
});

/*
 * Preview while downloading, as WebTorrent's server worker does. The worker
 * answers a (range) request for /preview/<fileId> piece by piece, asking the
 * page that downloads the file (web/src/ui/preview-bridge.ts, over a
 * MessageChannel) for the file's size ("open"), then, as the player reads,
 * to fetch each piece first and say when it is verified and stored ("need"),
 * then for its bytes ("read"). The page reads them from its piece store
 * (web/src/platform/piece-store.ts: an OPFS file that changes under any
 * snapshot while it downloads, or IndexedDB), so this worker never opens
 * the store itself. The body streams: a player reads the start
 * and plays while later pieces are on their way; a seek is a new range.
 */
async function preview(event, fileId) {
  const found = await findPage(event, fileId);
  if (!found) return new Response('This file is not being downloaded in an open tab.', { status: 404, headers: { 'content-type': 'text/plain' } });
  const { page, file } = found;
  const size = file.size;
  let start = 0;
  let end = size - 1;
  const range = event.request.headers.get('range');
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m && m[1] !== '') {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(end, Number(m[2]));
    } else if (m && m[2] !== '') start = Math.max(0, size - Number(m[2])); // a suffix: the last N bytes
    if (!m || start > end || start >= size) {
      return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
    }
  }
  const headers = {
    'content-type': file.mime,
    'content-disposition': inlineDisposition(file.name),
    'accept-ranges': 'bytes',
    'content-length': String(end - start + 1),
    'cache-control': 'no-store',
  };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  if (size === 0) return new Response(null, { status: 200, headers });
  let offset = start;
  const body = new ReadableStream({
    async pull(controller) {
      const piece = Math.floor(offset / file.pieceSize);
      const answer = await ask(page, { op: 'need', fileId, piece });
      if (!answer || answer.error) return controller.error(new Error(answer ? answer.error : 'the page went away'));
      const blob = await readFromPage(page, fileId, piece);
      if (!blob) return controller.error(new Error(`piece ${piece} is not stored`));
      const from = offset - piece * file.pieceSize;
      const to = Math.min(blob.size, end + 1 - piece * file.pieceSize);
      controller.enqueue(new Uint8Array(await blob.slice(from, to).arrayBuffer()));
      offset += to - from;
      if (offset > end) controller.close();
    },
  });
  return new Response(body, { status: range ? 206 : 200, headers });
}

/**
 * Shown in the page, under the file's own name: a viewer that names what it
 * shows or saves (Chromium's PDF viewer: its title and its Download button)
 * would otherwise take the URL's last segment, the file id. RFC 6266: an
 * ASCII fallback, and the exact name UTF-8 encoded (RFC 8187).
 */
function inlineDisposition(name) {
  if (typeof name !== 'string' || name === '') return 'inline';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `inline; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** The window that downloads this file (the requesting one first), and what it says of the file. */
async function findPage(event, fileId) {
  const own = event.clientId ? await self.clients.get(event.clientId) : undefined;
  const others = await self.clients.matchAll({ type: 'window' });
  for (const page of [own, ...others.filter((c) => c.id !== event.clientId)]) {
    if (!page) continue;
    const file = await ask(page, { op: 'open', fileId }, OPEN_TIMEOUT_MS);
    if (file && !file.error) return { page, file };
  }
  return undefined;
}

/** One question to a page, one answer over its own MessageChannel (undefined if it never answers in time). */
function ask(page, question, timeoutMs) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = timeoutMs ? setTimeout(() => resolve(undefined), timeoutMs) : undefined;
    channel.port1.onmessage = (e) => {
      clearTimeout(timer);
      channel.port1.close();
      resolve(e.data);
    };
    page.postMessage({ type: 'meshdrop-preview', ...question }, [channel.port2]);
  });
}

/** A piece's bytes from the page, as a Blob; undefined if the page has none. */
async function readFromPage(page, fileId, index) {
  const answer = await ask(page, { op: 'read', fileId, piece: index });
  return answer && answer.bytes ? new Blob([answer.bytes]) : undefined;
}

/*
 * A notification's click (web/src/ui/notify-browser.ts) opens what it is
 * about. An open tab of the app is focused and told which screen to show
 * (`meshdrop-open`, web/src/ui/notify-open.ts): its router moves there, so
 * its downloads, links and sign-in carry on. Navigating the tab instead
 * would reload the app, dropping every connection (and a tab that shares a
 * file asks before it unloads). With no tab open, a new one opens there.
 * Only paths of this app, never another site.
 */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openInApp(appPath(event.notification.data?.path)));
});

/** `path` if it names a page of this origin ("/g/family"), else the app's start page. */
function appPath(path) {
  if (typeof path !== 'string' || !path.startsWith('/')) return '/';
  const url = new URL(path, self.location.origin); // "//elsewhere.example/" is another site, not a path
  return url.origin === self.location.origin && !NOT_THE_APP.includes(url.pathname) ? url.pathname + url.search : '/';
}

async function openInApp(path) {
  const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = tabs.filter((c) => {
    const url = new URL(c.url);
    return url.origin === self.location.origin && !NOT_THE_APP.includes(url.pathname);
  });
  // The tab the person looks at, else the one they used last (matchAll lists the most recently focused first).
  const tab = app.find((c) => c.focused) ?? app.find((c) => c.visibilityState === 'visible') ?? app[0];
  if (!tab) return self.clients.openWindow(path);
  tab.postMessage({ type: 'meshdrop-open', path });
  // Focusing is the browser's to allow (a real click on the notification); the screen changes either way.
  await tab.focus().catch(() => undefined);
}
