/**
 * The built web app, read into memory once at start-up and served from there.
 *
 * Why memory and not the disk on each request: the app is a few hundred KB;
 * a tracker then serves exactly the build it started with, and a rebuild or a
 * deleted file under a running tracker cannot race a request (a file that
 * vanished between a stat and a read used to throw inside the request and
 * take the process down).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { lookup } from 'mrmime';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Hashed file names under assets/ never change: cache them for a year. */
  immutable: boolean;
}

export class StaticApp {
  #assets = new Map<string, Asset>();

  private constructor(readonly dir: string) {}

  /** Loads every file under `dir`; undefined if there is no built app there. */
  static load(dir: string): StaticApp | undefined {
    let index: Buffer;
    try {
      index = readFileSync(join(dir, 'index.html'));
    } catch {
      return undefined;
    }
    const app = new StaticApp(dir);
    for (const path of walk(dir)) {
      const urlPath = '/' + relative(dir, path).split(sep).join('/');
      const body = urlPath === '/index.html' ? index : readFileSync(path);
      app.#assets.set(urlPath, {
        body,
        type: lookup(path) ?? 'application/octet-stream',
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
        immutable: urlPath.startsWith('/assets/'),
      });
    }
    return app;
  }

  /**
   * Serves a GET/HEAD for a file, or the app's index.html for any other path
   * without a file extension (the app routes /g/<group> itself).
   * Returns false when there is nothing to serve (a missing asset: a real 404).
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let asset = this.#assets.get(path === '/' ? '/index.html' : path);
    if (!asset && !/\.[a-z0-9]+$/i.test(path)) asset = this.#assets.get('/index.html');
    if (!asset) return false;
    const headers: Record<string, string | number> = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
