/**
 * Mesh benchmark: `npx tsx bench/mesh.ts` (MESH_BENCH_QUICK=1 for a short run).
 *
 * 1. Replication latency, op durable on A → durable on B, at 1,000 ops/s for
 *    a few seconds, over the built-in links and over NATS (a real
 *    `nats-server -js`). Both trackers run in this process, so both ends read
 *    one clock. Baseline, same run: the local commit (op made → durable on A).
 * 2. Catch-up: tracker A holds 100,000 ops (a real op log, replayed at
 *    start); a fresh tracker B links to it; time until B holds them all,
 *    durably. Baseline: A's own start-up replay of the same log.
 * 3. Failover: two tracker processes linked; a client on one; kill -9 it;
 *    time until the client is resumed on the other (its 'ready'). 20 kills,
 *    alternating; p50/p95.
 *
 * Prints figures as it goes; the last line is one JSON object of them all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import type { Op } from '../protocol/ops.ts';
import { startTracker, type RunningTracker, type TrackerConfig } from '../tracker-server/server.ts';
import { TrackerClient } from '../client/tracker.ts';
import type { SocketLike } from '../client/ports.ts';
import { median, percentile, round } from './lib/stats.ts';

const QUICK = process.env.MESH_BENCH_QUICK === '1';
const ROOT = new URL('..', import.meta.url).pathname;
const RATE = 1000;
const SECONDS = QUICK ? 2 : 5;
const CATCH_UP_OPS = QUICK ? 20_000 : 100_000;
const KILLS = QUICK ? 5 : 20;
const SCRYPT = { N: 1024, r: 8, p: 1 };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'meshdrop-bench-mesh-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function tracker(overrides: Partial<TrackerConfig>): Promise<RunningTracker> {
  const t = await startTracker({
    host: '127.0.0.1', port: 0, dataDir: await dir(), trackerId: 'x', publicUrls: [], iceServers: [],
    scrypt: SCRYPT, snapshotEvery: 1_000_000, webDir: join(ROOT, 'dist/web'), ...overrides,
  });
  cleanups.push(() => t.close());
  return t;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A cheap, inert op body (a logout of an unknown session): replicated like any other. */
const inertBody = () => ({ kind: 'session_revoked' as const, tokenHash: randomBytes(32).toString('hex') });

async function replication(bus: 'links' | 'nats', natsUrl?: string) {
  const a = await tracker(bus === 'links' ? { trackerId: `a-${bus}`, secret: 'bench' } : { trackerId: `a-${bus}`, nats: [natsUrl!] });
  const b = await tracker(
    bus === 'links' ? { trackerId: `b-${bus}`, secret: 'bench', peers: [`ws://127.0.0.1:${a.port}`] } : { trackerId: `b-${bus}`, nats: [natsUrl!] },
  );
  // Linked: an op made on A reaches B.
  await a.core.commit(inertBody());
  await until(() => (b.core.replica.versionVector()[a.core.trackerId] ?? 0) >= 1, 10_000, 'the link');

  const made = new Map<number, number>();
  const durableA = new Map<number, number>();
  const latencies: number[] = [];
  const local: number[] = [];
  a.core.onOps((ops, fromMesh) => {
    if (fromMesh) return;
    const t = now();
    for (const op of ops) durableA.set(op.seq, t);
  });
  b.core.onOps((ops, fromMesh) => {
    if (!fromMesh) return;
    const t = now();
    for (const op of ops) {
      if (op.origin !== a.core.trackerId) continue;
      const at = durableA.get(op.seq);
      if (at !== undefined) latencies.push(t - at);
    }
  });
  const total = RATE * SECONDS;
  const start = now();
  const commits: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    // Paced: op i goes out at start + i ms.
    const due = start + (i * 1000) / RATE;
    while (now() < due) await sleep(Math.max(0, Math.min(1, due - now())));
    const t = now();
    commits.push(
      a.core.commit(inertBody()).then(({ op }) => {
        made.set(op.seq, t);
        local.push(durableA.get(op.seq)! - t);
      }),
    );
  }
  await Promise.all(commits);
  const target = a.core.replica.versionVector()[a.core.trackerId]!;
  await until(() => (b.core.replica.versionVector()[a.core.trackerId] ?? 0) >= target, 30_000, 'replication to finish');
  const rate = total / ((now() - start) / 1000);
  return {
    p50: round(percentile(latencies, 50), 2),
    p99: round(percentile(latencies, 99), 2),
    localCommitP50: round(percentile(local, 50), 2),
    ops: latencies.length,
    rate: Math.round(rate),
  };
}

async function catchUp() {
  // A real op log of CATCH_UP_OPS ops from tracker 'ta', as A would have written it.
  const aDir = await dir();
  const lines: string[] = [];
  let hlc = Date.now() * 1000;
  for (let seq = 1; seq <= CATCH_UP_OPS; seq++) {
    const op: Op = { origin: 'ta', seq, hlc: ++hlc, ...inertBody() };
    lines.push(JSON.stringify(op));
  }
  await writeFile(join(aDir, 'ops.1.log'), lines.join('\n') + '\n');
  const t0 = now();
  const a = await tracker({ trackerId: 'ta', dataDir: aDir, secret: 'bench' });
  const replayMs = now() - t0;
  const t1 = now();
  const b = await tracker({ trackerId: 'tb', secret: 'bench', peers: [`ws://127.0.0.1:${a.port}`] });
  let durable = 0;
  b.core.onOps((ops) => (durable += ops.length));
  await until(() => durable >= CATCH_UP_OPS, 120_000, 'catch-up');
  const catchUpMs = now() - t1;
  await a.close();
  await b.close();
  return { ops: CATCH_UP_OPS, catchUpMs: Math.round(catchUpMs), replayMs: Math.round(replayMs) };
}

// ------------------------------------------------------------ failover

function spawnChild(args: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tracker-server/main.ts'), '--host', '127.0.0.1', ...args], {
    cwd: ROOT, env: { ...process.env, MESHDROP_SCRYPT_N: '1024' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tracker did not start: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      if (/serving http/.test(out)) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function failover() {
  const ports = [await freePort(), await freePort()];
  const dirs = [await dir(), await dir()];
  const args = (i: number) => [
    '--port', String(ports[i]), '--data-dir', dirs[i]!, '--tracker-id', `f${i}`, '--secret', 'bench',
    '--public-url', `ws://127.0.0.1:${ports[i]}/ws`, '--peer', `ws://127.0.0.1:${ports[1 - i]}`,
  ];
  const procs = await Promise.all([spawnChild(args(0)), spawnChild(args(1))]);
  const client = new TrackerClient({ urls: ports.map((p) => `ws://127.0.0.1:${p}/ws`), createSocket: (u) => new WebSocket(u) as unknown as SocketLike });
  cleanups.push(() => client.close());
  await client.connect();
  await client.request('create_user', { userId: 'bench', password: 'password1' });
  await client.login('bench', 'password1');
  const times: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const victim = client.url === `ws://127.0.0.1:${ports[0]}/ws` ? 0 : 1;
    // Wait until the survivor has the session (replicated) before killing.
    await sleep(200);
    const ready = new Promise<number>((resolve) => {
      const off = client.on('ready', () => {
        off();
        resolve(now());
      });
    });
    const killedAt = now();
    procs[victim]!.child.kill('SIGKILL');
    await procs[victim]!.exited;
    const at = await ready;
    times.push(at - killedAt);
    if (client.userId !== 'bench') throw new Error('the session was lost in failover');
    procs[victim] = await spawnChild(args(victim));
  }
  return { kills: KILLS, p50: round(median(times), 1), p95: round(percentile(times, 95), 1), max: round(Math.max(...times), 1) };
}

async function startNatsServer(): Promise<string> {
  const port = await freePort();
  const store = await dir();
  const child = spawn(process.env.NATS_SERVER ?? 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(() => {
    child.kill('SIGKILL');
    return exited;
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${out}`)), 20_000);
    const on = (d: Buffer) => {
      out += d;
      if (/Server is ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
  return `nats://127.0.0.1:${port}`;
}

async function main() {
  const results: Record<string, unknown> = {};
  try {
    const links = await replication('links');
    console.log(`replication over links at ${links.rate} ops/s: p50 ${links.p50} ms, p99 ${links.p99} ms (${links.ops} ops; local commit p50 ${links.localCommitP50} ms, ratio p50/local ${round(links.p50 / links.localCommitP50, 2)})`);
    results.linksReplication = links;
    const natsUrl = await startNatsServer();
    const nats = await replication('nats', natsUrl);
    console.log(`replication over NATS at ${nats.rate} ops/s: p50 ${nats.p50} ms, p99 ${nats.p99} ms (${nats.ops} ops; local commit p50 ${nats.localCommitP50} ms)`);
    results.natsReplication = nats;
    const cu = await catchUp();
    console.log(`catch-up of ${cu.ops} ops over links: ${cu.catchUpMs} ms (baseline, replaying the same log at start-up: ${cu.replayMs} ms)`);
    results.catchUp = cu;
    const fo = await failover();
    console.log(`failover (kill -9 → client resumed elsewhere) over ${fo.kills} kills: p50 ${fo.p50} ms, p95 ${fo.p95} ms, max ${fo.max} ms`);
    results.failover = fo;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  }
  console.log(JSON.stringify({ bench: 'mesh', quick: QUICK, ...results }));
  process.exit(0);
}

await main();
