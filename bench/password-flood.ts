/**
 * Password flood (issue 8, item 12): `npm run bench -- password-flood [flags]`.
 *
 * A real tracker (tracker-server/main.ts, production scrypt cost N=2^15) in
 * its own process. One logged-in user writes (create_group, one at a time,
 * every 10 ms) for a while with no other load, then again while
 * --flooders connections sign up as fast as they are answered (one request
 * in flight each, as the per-connection bound allows); `--flood login`
 * floods successful log-ins of one account instead. Prints that user's
 * write latency (median, p99) in both phases; the last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { TrackerProcess } from './lib/procs.ts';
import { median, percentile, round } from './lib/stats.ts';
import { PROTOCOL_VERSION } from '../protocol/constants.ts';

const { values: flags } = parseArgs({
  options: {
    flooders: { type: 'string', default: '20' },
    /** What floods: sign-ups (create_user) or successful log-ins of one account (login). */
    flood: { type: 'string', default: 'signup' },
    'measure-ms': { type: 'string', default: '5000' },
    'scrypt-n': { type: 'string', default: '32768' },
    /** Another checkout (e.g. `git worktree add /tmp/base <commit>`, node_modules linked) whose tracker to measure instead. */
    root: { type: 'string' },
  },
});
const FLOODERS = Number(flags.flooders);
const MEASURE_MS = Number(flags['measure-ms']);
const SCRYPT_N = Number(flags['scrypt-n']);
const WRITE_EVERY_MS = 10;
const FLOOD = flags.flood === 'login' ? 'login' : 'signup';

type Msg = { id?: string; ok?: boolean; error?: { code: string } } & Record<string, unknown>;

/** One WebSocket with request/reply by id. */
async function connection(url: string) {
  const ws = new WebSocket(url);
  const waiting = new Map<string, (m: Msg) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    if (typeof m.id === 'string') {
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('close', (code) => {
    for (const w of waiting.values()) w({ ok: false, error: { code: `closed ${code}` } });
    waiting.clear();
  });
  let n = 0;
  const prefix = randomBytes(9).toString('base64url');
  const request = (body: Record<string, unknown>): Promise<Msg> => {
    // Unique across connections: the tracker dedupes retries by request id.
    const id = `${prefix}-${n++}`;
    ws.send(JSON.stringify({ id, ...body }));
    return new Promise((resolve) => waiting.set(id, resolve));
  };
  await request({ type: 'hello', protocol: PROTOCOL_VERSION });
  return { ws, request };
}

// The writer creates a group every 10 ms: far past the default groups-per-user quota (older trackers ignore this).
process.env.MESHDROP_QUOTAS ??= 'groups-per-user=1000000';
const dataDir = await mkdtemp(join(tmpdir(), 'meshdrop-bench-flood-'));
const tracker = await TrackerProcess.start({ dataDir, scryptN: SCRYPT_N, root: flags.root });
try {
  const writer = await connection(tracker.wsUrl);
  await writer.request({ type: 'create_user', userId: 'writer', password: 'password1' });
  const login = await writer.request({ type: 'login', userId: 'writer', password: 'password1' });
  if (!login.ok) throw new Error(`login failed: ${JSON.stringify(login)}`);

  let groups = 0;
  async function writes(ms: number): Promise<number[]> {
    const latencies: number[] = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await writer.request({ type: 'create_group', groupId: `g${groups++}` });
      if (!r.ok) throw new Error(`create_group failed: ${JSON.stringify(r)}`);
      latencies.push(performance.now() - t0);
      // Paced under the per-connection message rate (RATE_PER_SECOND), which would close a faster writer.
      await new Promise((r) => setTimeout(r, WRITE_EVERY_MS));
    }
    return latencies;
  }

  console.log(`Meshdrop password flood — ${new Date().toISOString()}`);
  console.log(`machine: ${availableParallelism()} cores, node ${process.version}; tracker scrypt N=${SCRYPT_N}; ${FLOODERS} connections flooding ${FLOOD === 'login' ? 'successful log-ins' : 'sign-ups'}; ${MEASURE_MS} ms per phase${flags.root ? `; tracker from ${flags.root}` : ''}`);
  await writes(500); // warm-up
  const quiet = await writes(MEASURE_MS);

  const flooders = await Promise.all(Array.from({ length: FLOODERS }, () => connection(tracker.wsUrl)));
  let flooding = true;
  let signups = 0;
  let refused = 0;
  let names = 0;
  const codes: Record<string, number> = {};
  if (FLOOD === 'login') await writer.request({ type: 'create_user', userId: 'flooded', password: 'password1' });
  const floods = flooders.map(async (c) => {
    while (flooding) {
      const r = await c.request(
        FLOOD === 'login'
          ? { type: 'login', userId: 'flooded', password: 'password1' }
          : { type: 'create_user', userId: `flood${names++}`, password: 'password1' },
      );
      if (r.ok) signups++;
      else {
        if (r.error?.code.startsWith('closed')) throw new Error(`a flooding connection was closed (${r.error.code})`);
        refused++;
        codes[r.error?.code ?? '?'] = (codes[r.error?.code ?? '?'] ?? 0) + 1;
        // Refused at once: retry after a moment, under the per-connection message rate that would close the connection.
        await new Promise((r) => setTimeout(r, WRITE_EVERY_MS));
      }
    }
  });
  // Let the flood fill the hashing queue before measuring.
  await new Promise((r) => setTimeout(r, 500));
  const flooded = await writes(MEASURE_MS);
  const signupsInWindow = signups;
  flooding = false;
  await Promise.all(floods);
  for (const c of [writer, ...flooders]) c.ws.close();

  const figures = {
    flood: FLOOD,
    quietWrites: quiet.length,
    quietP50Ms: round(median(quiet), 2),
    quietP99Ms: round(percentile(quiet, 99), 2),
    floodWrites: flooded.length,
    floodP50Ms: round(median(flooded), 2),
    floodP99Ms: round(percentile(flooded, 99), 2),
    floodCompletedPerSec: round((signupsInWindow / (MEASURE_MS + 500)) * 1000, 1),
    floodRefused: refused,
  };
  console.log(`other user's create_group, no flood:    median ${figures.quietP50Ms} ms, p99 ${figures.quietP99Ms} ms (${quiet.length} writes)`);
  console.log(`other user's create_group, under flood: median ${figures.floodP50Ms} ms, p99 ${figures.floodP99Ms} ms (${flooded.length} writes)`);
  console.log(`flood: ${figures.floodCompletedPerSec} ${FLOOD === 'login' ? 'log-ins' : 'sign-ups'}/s completed, ${refused} refused (${JSON.stringify(codes)})`);
  console.log(JSON.stringify(figures));
} finally {
  await tracker.stop();
  await rm(dataDir, { recursive: true, force: true });
}
