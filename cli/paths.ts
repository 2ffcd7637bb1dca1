/**
 * Where the command line keeps things (XDG base directories):
 * - the session (tracker URLs, user, session token; never the password) in
 *   `$XDG_CONFIG_HOME/meshdrop/session.json`, mode 0600 in a 0700 directory;
 * - per-user transfer records (cli/platform/file-store.ts sidecars) in
 *   `$XDG_DATA_HOME/meshdrop/<user>/files/`, and a mirror's downloads in
 *   `$XDG_DATA_HOME/meshdrop/<user>/mirror/<group>/`.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'meshdrop');
}

export function dataDir(userId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'meshdrop', userId);
}

export interface SavedSession {
  /** Tracker WebSocket URLs, the one given first, then those the mesh made known. */
  trackers: string[];
  userId: string;
  token: string;
}

export function sessionPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'session.json');
}

export async function loadSession(env: NodeJS.ProcessEnv = process.env): Promise<SavedSession | undefined> {
  try {
    const s = JSON.parse(await readFile(sessionPath(env), 'utf8')) as SavedSession;
    return typeof s.token === 'string' && typeof s.userId === 'string' && Array.isArray(s.trackers) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Written 0600 from the start (never world-readable for a moment), in a 0700 directory. */
export async function saveSession(session: SavedSession, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = sessionPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(session, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  const { rename } = await import('node:fs/promises');
  await rename(tmp, path);
}

export async function removeSession(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(sessionPath(env), { force: true });
}

/** `https://host` → `wss://host/ws`; a ws(s) URL is taken as given. */
export function trackerWsUrl(text: string): string {
  const url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`not a tracker URL: ${text}`);
  return url.toString();
}
