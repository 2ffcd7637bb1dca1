/**
 * A tiny Vite plugin: after the app's bundle is made, writes sw.js beside it
 * with the precache list and cache name worked out from what the build
 * emitted (web/build/precache.ts) and the public files Vite copies.
 * No hand-kept list: a file added to the build is cached by the next build.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';
import { SERVICE_WORKER_FILE, serviceWorkerSource, type BuiltFile } from './precache.ts';

const BODY = new URL('./sw-body.js', import.meta.url);

export function pwaShell(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'meshdrop-pwa-shell',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    // After Vite's own HTML plugin, so index.html is in the bundle.
    generateBundle: { order: 'post', handler(_options, bundle) {
      const files: BuiltFile[] = Object.values(bundle).map((item) => ({
        name: item.fileName,
        content: item.type === 'chunk' ? item.code : item.source,
      }));
      if (config.publicDir) for (const path of walk(config.publicDir)) {
        files.push({ name: relative(config.publicDir, path).split(sep).join('/'), content: readFileSync(path) });
      }
      this.emitFile({ type: 'asset', fileName: SERVICE_WORKER_FILE, source: serviceWorkerSource(files, readFileSync(BODY, 'utf8')) });
    } },
  };
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no public dir
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
