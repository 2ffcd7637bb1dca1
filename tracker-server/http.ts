/**
 * HTTP: the built web app, /healthz for load balancers, /metrics for people.
 * Static files go through sirv (path safety, caching headers, SPA fallback:
 * a group link like /g/photos opens the app, which routes it).
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { TrackerCore } from './core.ts';
import type { Gateway } from './gateway/gateway.ts';
import { stateDigest } from './state/digest.ts';

export function httpHandler(core: TrackerCore, gateway: Gateway, webDir: string) {
  const staticFiles = existsSync(webDir) ? sirv(webDir, { single: true, etag: true, gzip: false }) : undefined;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      json(res, { ok: true, trackerId: core.trackerId, ops: core.replica.size });
      return;
    }
    if (path === '/metrics') {
      const memory = process.memoryUsage();
      json(res, {
        trackerId: core.trackerId,
        ...gateway.stats,
        ops: core.replica.size,
        versionVector: core.replica.versionVector(),
        digest: stateDigest(core.state),
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
      });
      return;
    }
    if (staticFiles) {
      staticFiles(req, res, () => notFound(res));
      return;
    }
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('The web app is not built: run `npm run build` (npm start does it for you).\n');
  };
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
}
