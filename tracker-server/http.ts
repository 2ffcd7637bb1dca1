/**
 * HTTP: the built web app, /healthz for load balancers, /metrics for people.
 * A group link like /g/photos opens the app, which routes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StaticApp } from './static.ts';
import type { TrackerCore } from './core.ts';
import type { Gateway } from './gateway/gateway.ts';
import { DigestCache } from './state/digest.ts';
import { bearerMatches } from './metrics-auth.ts';
import { setSecurityHeaders } from './security-headers.ts';

/** Every path serves reads only: anything else is 405 (and the connection closes, so no body is waited for). */
const ALLOWED_METHODS = 'GET, HEAD';

export function httpHandler(core: TrackerCore, gateway: Gateway, webDir: string, metricsToken?: string) {
  const app = StaticApp.load(webDir);
  // Hashing the state is the one costly thing here: once per state version, not per GET.
  const digests = new DigestCache();
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    setSecurityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: ALLOWED_METHODS, 'content-type': 'text/plain', connection: 'close' });
      res.end(`${ALLOWED_METHODS} only\n`);
      return;
    }
    // /healthz stays open for load balancers, and cheap: no digest.
    if (path === '/healthz') {
      json(res, { ok: true, trackerId: core.trackerId, ops: core.replica.size });
      return;
    }
    if (path === '/metrics') {
      if (metricsToken !== undefined && !bearerMatches(req.headers.authorization, metricsToken)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="meshdrop metrics"' });
        res.end('/metrics needs Authorization: Bearer <the --metrics-token>\n');
        return;
      }
      const memory = process.memoryUsage();
      json(res, {
        trackerId: core.trackerId,
        ...gateway.stats,
        ops: core.durableOps,
        versionVector: core.durableVersionVector(),
        storageFailing: core.storageFailing,
        digest: digests.digest(core.replica),
        digestComputations: digests.computations,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        // Prometheus names (labels in the key) so an exporter or a person grepping finds them by the documented name.
        ...core.outcomes.metrics(),
      });
      return;
    }
    if (app) {
      if (!app.serve(req, res, safePath(path))) notFound(res);
      return;
    }
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('The web app is not built: run `npm run build` (npm start does it for you).\n');
  };
}

/** The decoded path, or '/' for one that does not decode: only exact asset names ever match. */
function safePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return '/';
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
}
