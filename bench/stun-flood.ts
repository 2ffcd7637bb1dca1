/**
 * STUN under a flood (issue 10 item 1): `npm run bench -- stun-flood [flags]`.
 *
 * An in-process tracker (port 0). Phase one, idle; phase two, while another
 * process blasts junk datagrams and well-formed binding requests (from another
 * loopback address) as fast as its sockets take them. In each phase: an
 * honest client's binding-request round trips and a WebSocket ping's round
 * trips (median, p99), and what the responder answered, dropped, capped.
 * The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import stun from 'stun';
import { startTracker } from '../tracker-server/server.ts';
import { median, percentile, round } from './lib/stats.ts';
import { PROTOCOL_VERSION } from '../protocol/constants.ts';

const { values: flags } = parseArgs({ options: { 'measure-ms': { type: 'string', default: '5000' } } });
const MEASURE_MS = Number(flags['measure-ms']);

const dir = await mkdtemp(join(tmpdir(), 'meshdrop-bench-stun-'));
const tracker = await startTracker({
  host: '127.0.0.1', port: 0, dataDir: dir, trackerId: 'bench', publicUrls: [], iceServers: [],
  scrypt: { N: 1024, r: 8, p: 1 }, snapshotEvery: 10_000, webDir: dir,
});
const port = tracker.stunPort!;
const bound = async (address: string): Promise<Socket> => {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
};
const honest = await bound('127.0.0.1');
const ws = new WebSocket(tracker.wsUrl);
await new Promise((r) => ws.once('open', r));
const replies = new Map<string, () => void>();
ws.on('message', (d) => replies.get(JSON.parse(String(d)).id)?.());
const rpc = (msg: Record<string, unknown>) =>
  new Promise<void>((resolve) => {
    replies.set(msg.id as string, resolve);
    ws.send(JSON.stringify(msg));
  });
await rpc({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });

async function measure(): Promise<{ stunMs: number[]; pingMs: number[]; lost: number }> {
  const stunMs: number[] = [];
  const pingMs: number[] = [];
  let lost = 0;
  const end = Date.now() + MEASURE_MS;
  for (let i = 0; Date.now() < end; i++) {
    let t0 = performance.now();
    try {
      await stun.request(`stun://127.0.0.1:${port}`, { socket: honest, timeout: 200, retries: 0 });
      stunMs.push(performance.now() - t0);
    } catch {
      lost++;
    }
    t0 = performance.now();
    await rpc({ id: `p${i}`, type: 'ping' });
    pingMs.push(performance.now() - t0);
    // Five a second: under the per-source cap (10/s), as a browser gathering candidates is.
    await new Promise((r) => setTimeout(r, 200));
  }
  return { stunMs, pingMs, lost };
}
const summary = (m: Awaited<ReturnType<typeof measure>>) => ({
  stunP50Ms: round(median(m.stunMs)), stunP99Ms: round(percentile(m.stunMs, 99)), stunLost: m.lost, stunAsked: m.stunMs.length + m.lost,
  pingP50Ms: round(median(m.pingMs)), pingP99Ms: round(percentile(m.pingMs, 99)),
});

const idle = summary(await measure());
const before = { ...tracker.stun!.stats };
// The flooder is its own process (as an attacker is): it sends junk from 127.0.0.1 and well-formed
// requests from 127.0.0.2 as fast as its socket takes them, then prints how many it sent.
const valid = stun.createMessage(stun.constants.STUN_BINDING_REQUEST!).toBuffer().toString('hex');
const flooder = spawn(process.execPath, ['-e', `
  const dgram = require('node:dgram'); const { randomBytes } = require('node:crypto');
  const junk = dgram.createSocket('udp4'); const greedy = dgram.createSocket('udp4');
  const valid = Buffer.from('${valid}', 'hex'); let sent = 0; const end = Date.now() + ${MEASURE_MS};
  junk.bind(0, '127.0.0.1', () => greedy.bind(0, '127.0.0.2', async () => {
    while (Date.now() < end) {
      await Promise.all(Array.from({ length: 64 }, (_, k) => new Promise((r) => (k % 2 ? greedy : junk).send(k % 2 ? valid : randomBytes(1 + k * 7), ${port}, '127.0.0.1', r))));
      sent += 64;
      await new Promise((r) => setImmediate(r));
    }
    console.log(sent); process.exit(0);
  }));`], { stdio: ['ignore', 'pipe', 'inherit'] });
let flooderOut = '';
flooder.stdout.on('data', (d) => (flooderOut += d));
const flooded_ = new Promise<number>((resolve) => flooder.on('exit', () => resolve(Number(flooderOut.trim()))));
const t0 = Date.now();
const flooded = summary(await measure());
const sent = await flooded_;
const seconds = (Date.now() - t0) / 1000;
const s = tracker.stun!.stats;
const result = {
  bench: 'stun-flood',
  idle,
  flood: { ...flooded, datagramsSentPerSec: Math.round(sent / seconds), answered: s.answered - before.answered, ignored: s.ignored - before.ignored, limited: s.limited - before.limited },
};
console.log(`idle:  STUN p50 ${idle.stunP50Ms} ms p99 ${idle.stunP99Ms} ms, ping p50 ${idle.pingP50Ms} ms p99 ${idle.pingP99Ms} ms`);
console.log(`flood: ${result.flood.datagramsSentPerSec} datagrams/s; STUN p50 ${flooded.stunP50Ms} ms p99 ${flooded.stunP99Ms} ms (${flooded.stunLost}/${flooded.stunAsked} unanswered in 200 ms), ping p50 ${flooded.pingP50Ms} ms p99 ${flooded.pingP99Ms} ms`);
console.log(JSON.stringify(result));
honest.close();
ws.terminate();
await tracker.close();
await rm(dir, { recursive: true, force: true });
