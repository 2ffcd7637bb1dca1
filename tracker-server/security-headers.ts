/**
 * Headers on every HTTP response (issue 8, item 16).
 *
 * The Content-Security-Policy fits what the built app does, and no more:
 * - scripts, styles, fonts and the hashing Web Worker come from this origin
 *   (vite emits no inline script; the worker is a module file under /assets);
 * - WebSockets go to this tracker and, on failover, to any other tracker of
 *   the mesh, whose names the app learns at run time: any ws:/wss: URL;
 * - the service worker (/sw.js, worker-src 'self') and the web app
 *   manifest (default-src 'self') are this origin's files too;
 * - images are this origin's, `data:` (the favicon, the invite QR codes) and
 *   `blob:` (a downloaded file shown or saved from memory);
 * - no plugins, no <base>, no framing by anyone (frame-ancestors 'none',
 *   and X-Frame-Options for browsers that predate it).
 * style-src allows inline styles: Svelte sets element styles and the cost of
 * an injected style is far below that of an injected script.
 * WebRTC data channels are not governed by CSP.
 */
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Group links carry invite tokens in their query: never send them to another site.
  'referrer-policy': 'no-referrer',
};

/** Sets the headers; later writeHead calls add to them. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
