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
 * - everything else (/ws, /metrics, /healthz, any other request): not
 *   touched, never cached.
 */
/* global PRECACHE, CACHE_NAME, CACHE_PREFIX */
const NOT_THE_APP = ['/ws', '/metrics', '/healthz'];

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
