/**
 * The page's half of a notification's click: the service worker
 * (web/build/sw-body.js `notificationclick`) focuses an open tab of the app
 * and posts `{ type: 'meshdrop-open', path }`; the app's router then shows
 * that screen ("/downloads", "/g/<group>"). A client-side route change keeps
 * the tab's downloads, peer links and sign-in, which a navigation (a reload
 * of the app) would drop. Only a path of this app is followed.
 */

/** The message's path if it is one of this app's ("/…", not "//host/…"), else undefined. */
export function openPathOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, path } = data as { type?: unknown; path?: unknown };
  if (type !== 'meshdrop-open' || typeof path !== 'string') return undefined;
  return path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : undefined;
}

/** Routes each `meshdrop-open` the worker posts to `open`; returns the stop. */
export function followNotificationOpens(container: ServiceWorkerContainer | undefined, open: (path: string) => void): () => void {
  if (!container) return () => undefined;
  const listener = (event: MessageEvent) => {
    const path = openPathOf(event.data);
    if (path !== undefined) open(path);
  };
  container.addEventListener('message', listener);
  container.startMessages?.();
  return () => container.removeEventListener('message', listener);
}
