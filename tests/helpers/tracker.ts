/**
 * Real trackers for tests: in-process on port 0 (fast, inspectable), or as a
 * child process (for kill -9). Each registers its own teardown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker, type TrackerConfig } from '../../tracker-server/server.ts';
import { TrackerClient } from '../../client/tracker.ts';
import type { SocketLike } from '../../client/ports.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Cheap scrypt for tests: the cost is a parameter, the code path is the same. */
/**
 * The web app plus the test-only harness page (`npm run build:test`): test
 * trackers serve it; production's dist/web has no harness.
 */
export const TEST_WEB_DIR = join(ROOT, 'dist/test-web');
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export type Teardown = Pick<TestContext, 'after'> | { after(fn: () => unknown): void };

export async function tempDir(t: Teardown, prefix = 'meshdrop-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Teardown hooks run in the order they were added, so a tracker started after this dir may still be
  // writing into it (a snapshot) while it is removed: retry, as rm does for ENOTEMPTY/EBUSY.
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

export async function startTestTracker(t: Teardown, overrides: Partial<TrackerConfig> = {}): Promise<RunningTracker> {
  const dataDir = overrides.dataDir ?? (await tempDir(t));
  const tracker = await startTracker({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    trackerId: overrides.trackerId ?? 'test-a',
    // Named as a tracker always is outside tests (--name, default the host's name): here after its id.
    name: overrides.trackerId ?? 'test-a',
    publicUrls: [],
    iceServers: [],
    scrypt: TEST_SCRYPT,
    snapshotEvery: 10_000,
    webDir: TEST_WEB_DIR,
    ...overrides,
  });
  t.after(() => tracker.close());
  return tracker;
}

export const wsFactory = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

/** A connected client core, closed at teardown. */
export async function connectClient(t: Teardown, urls: string | string[]): Promise<TrackerClient> {
  const client = new TrackerClient({ urls: Array.isArray(urls) ? urls : [urls], createSocket: wsFactory, requestTimeoutMs: 10_000 });
  t.after(() => client.close());
  await client.connect();
  return client;
}

/** Registers, logs in, and returns the connected client. */
export async function userClient(t: Teardown, urls: string | string[], userId: string, password = 'password1'): Promise<TrackerClient> {
  const client = await connectClient(t, urls);
  await client.request('create_user', { userId, password }).catch((err) => {
    if (err.code !== 'user_exists') throw err;
  });
  await client.login(userId, password);
  return client;
}

/** Retries an assertion until it passes or the time is up (for eventually-consistent checks). */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** Collects a client's pushed events for later assertions. */
export function recordEvents(client: TrackerClient) {
  const events: import('../../protocol/tracker.ts').TrackerEvent[] = [];
  client.on('event', (e) => events.push(e));
  return events;
}

export interface ChildTracker {
  process: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  output: () => string;
  /** Waits for the process to exit. */
  exited: Promise<number | null>;
}

/** A tracker in its own process, for crash tests (kill -9). Killed at teardown if still alive. */
export async function spawnTracker(t: Teardown, args: string[], env: Record<string, string> = {}): Promise<ChildTracker> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tracker-server/main.ts'), '--host', '127.0.0.1', '--web-dir', TEST_WEB_DIR, ...args], {
    cwd: ROOT,
    env: { ...process.env, MESHDROP_SCRYPT_N: String(TEST_SCRYPT.N), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    // Generous: a tracker on NATS serves only once its stream is set up, and a JetStream cluster that
    // just regained its quorum takes a while to elect leaders on a loaded machine.
    const timer = setTimeout(() => reject(new Error(`tracker did not start:\n${out}`)), 60_000);
    const onData = () => {
      const m = /serving http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`tracker exited:\n${out}`)));
  });
  return { process: child, port, wsUrl: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, output: () => out, exited };
}
