/**
 * Tracker benchmark, side by side (issue 12 item 2): `npm run bench -- tracker [flags]`.
 *
 * bittorrent-tracker 11's WebSocket tracker (the reference WebTorrent
 * tracker, bench/lib/bt-tracker-main.ts) and Meshdrop's tracker
 * (tracker-server/main.ts) under one peer model (bench/lib/tracker-peers.ts):
 * the same peers in the same swarms, the same fan-out of offers per announce,
 * the same SDP bytes, answers relayed back. Each tracker runs pinned to one
 * core and the load generator to the other; runs alternate A B A B, so both
 * see the same machine. Per run: memory per idle peer (after a full GC),
 * CPU per relayed signal at a fixed offered rate, signals/s at saturation,
 * latency. The last line is one JSON object: figures, ratios, targets.
 * The older load benchmark (5,000 clients, 19,000 idle) is `tracker-load`.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientSpec } from './lib/loadgen.ts';
import { cpuUs, Generator, pin, split, TrackerProcess } from './lib/procs.ts';
import { median, percentile, round } from './lib/stats.ts';
import type { PeersResult, Side } from './lib/tracker-peers.ts';
import { benchScratch } from './lib/scratch.ts';

const { values: flags } = parseArgs({
  options: {
    peers: { type: 'string', default: '2000' },
    swarms: { type: 'string', default: '200' },
    fanout: { type: 'string', default: '5' },
    'sdp-bytes': { type: 'string', default: '400' },
    rate: { type: 'string', default: '5000' },
    'measure-ms': { type: 'string', default: '6000' },
    runs: { type: 'string', default: '3' },
    /** Announces in flight at saturation. */
    window: { type: 'string', default: '200' },
    /** Also run Meshdrop with protocol 1's form (one `signal` request per signal, each answered `ok`). */
    'per-signal': { type: 'boolean', default: false },
    'tracker-cpu': { type: 'string', default: '0' },
    'generator-cpu': { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
    'scrypt-n': { type: 'string', default: '16' },
    /** Extra node flags for the trackers, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof */
    'tracker-node-flags': { type: 'string', default: '' },
    /** Also run Meshdrop with these extra node flags, alternating in the same runs (an A/B of a V8 setting). */
    'md-alt-node-flags': { type: 'string', default: '' },
    /** Also run Meshdrop's tracker from another checkout (e.g. main's), alternating in the same runs; with --md-alt-node-flags, both apply. It must speak this checkout's protocol (the load generator is this one's). */
    'md-alt-root': { type: 'string', default: '' },
    /**
     * A command run against the tracker during each fixed-rate window, `{pid}` replaced by the tracker's
     * pid, its output printed: `--during-fixed "strace -c -f -p {pid}"` counts the tracker's syscalls
     * (ended with SIGINT at the window's end), `--during-fixed "perf stat -p {pid}"` its faults and switches.
     */
    'during-fixed': { type: 'string', default: '' },
  },
});
const PEERS = Number(flags.peers);
const SWARMS = Number(flags.swarms);
const FANOUT = Number(flags.fanout);
const SDP_BYTES = Number(flags['sdp-bytes']);
const RATE = Number(flags.rate);
const MEASURE_MS = Number(flags['measure-ms']);
const RUNS = Number(flags.runs);
const WINDOW = Number(flags.window);
const PIN = !flags['no-pin'];
const NODE_FLAGS = flags['tracker-node-flags'].split(' ').filter(Boolean);
const ALT_FLAGS = flags['md-alt-node-flags'].split(' ').filter(Boolean);
const ALT_ROOT = flags['md-alt-root'];
const ALT = ALT_FLAGS.length > 0 || ALT_ROOT !== '';
if (PEERS % SWARMS !== 0) throw new Error('--peers must be a multiple of --swarms');
const PER_SWARM = PEERS / SWARMS;
if (FANOUT >= PER_SWARM) throw new Error('--fanout must be below the peers per swarm');

const PEERS_GEN = fileURLToPath(new URL('./lib/tracker-peers.ts', import.meta.url));
const BT_MAIN = fileURLToPath(new URL('./lib/bt-tracker-main.ts', import.meta.url));
const KiB = 1024;
const mib = (bytes: number | undefined) => `${round((bytes ?? 0) / (1024 * 1024), 1)} MiB`;
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const { dataDir, started, cleanup } = await benchScratch('meshdrop-bench-vs-bt-');
async function stopAll(procs: { stop(): Promise<void> }[]): Promise<void> {
  for (const p of procs) {
    await p.stop();
    started.splice(started.indexOf(p), 1);
  }
}

log(`Tracker side by side: bittorrent-tracker 11 vs Meshdrop — ${new Date().toISOString()}`);
log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${process.platform}`);
log(
  `model: ${PEERS} peers in ${SWARMS} swarms of ${PER_SWARM}; an announce offers to ${FANOUT} peers of its swarm (SDP ${SDP_BYTES} bytes), each answers (SDP ${SDP_BYTES} bytes), relayed back; ` +
    `${RUNS} runs alternating; tracker on CPU ${PIN ? flags['tracker-cpu'] : 'any'}, generator on CPU ${PIN ? flags['generator-cpu'] : 'any'}`,
);

// ------------------------------------------------------------------ Meshdrop's accounts, groups and files, once

let specs: ClientSpec[];
{
  const t0 = Date.now();
  const t = await TrackerProcess.start({ dataDir, scryptN: Number(flags['scrypt-n']) });
  started.push(t);
  const gens = [new Generator(0), new Generator(1)];
  started.push(...gens);
  const groups = Array.from({ length: SWARMS }, (_, g) => g);
  const parts = await Promise.all(
    split(groups, gens.length).map((gs, i) =>
      gens[i]!.call<ClientSpec[]>({ cmd: 'setup', url: t.wsUrl, groups: gs, membersPerGroup: PER_SWARM, filesPerGroup: 1, localAddress: gens[i]!.localAddress }),
    ),
  );
  specs = parts.flat();
  await stopAll([...gens, t]);
  log(`Meshdrop set-up: ${specs.length} users signed up and logged in, ${SWARMS} groups joined by invite, one file each, in ${((Date.now() - t0) / 1000).toFixed(1)} s (the set-up is not measured)`);
}

// ------------------------------------------------------------------ runs

interface RunFigures {
  peers: number;
  rssPerIdlePeer: number;
  heapPerIdlePeer: number;
  cpuUsPerSignal: number;
  sysUsPerSignal: number;
  relayedPerSecFixed: number;
  latencyP50: number;
  latencyP99: number;
  saturationPerSec: number;
  trackerCpuAtSaturation: number;
  errors: number;
}

async function startTracker(s: Side): Promise<TrackerProcess> {
  const t = await TrackerProcess.start({
    dataDir,
    scryptN: Number(flags['scrypt-n']),
    nodeFlags: s === 'md-alt' ? [...NODE_FLAGS, ...ALT_FLAGS] : NODE_FLAGS,
    ...(s === 'md-alt' && ALT_ROOT ? { root: ALT_ROOT } : {}),
    ...(s === 'bt' ? { script: [BT_MAIN] } : {}),
    ...(PIN ? { pin: flags['tracker-cpu'] } : {}),
  });
  started.push(t);
  return t;
}

/** Starts `command` (split on spaces); the returned function ends it with SIGINT and gives its output. */
function startProbe(command: string): () => Promise<string> {
  const [file, ...args] = command.split(' ').filter(Boolean);
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('close', r));
  return async () => {
    child.kill('SIGINT');
    await exited;
    return out.trimEnd().split('\n').map((l) => `    | ${l}`).join('\n');
  };
}

async function measured(t: TrackerProcess, g: Generator, command: object, warmupMs: number): Promise<{ r: PeersResult; cpuUs: number; sysUs: number }> {
  const startAt = Date.now() + 300;
  const pending = g.call<PeersResult>({ ...command, startAt, warmupMs, measureMs: MEASURE_MS });
  await sleep(startAt + warmupMs - Date.now());
  const a = await t.stats();
  const probe = 'announcesPerSec' in command && flags['during-fixed'] ? startProbe(flags['during-fixed'].replaceAll('{pid}', String(t.pid))) : undefined;
  await sleep(startAt + warmupMs + MEASURE_MS - Date.now());
  const b = await t.stats();
  if (probe) log(await probe());
  const r = await pending;
  const scale = MEASURE_MS / (b.at - a.at);
  return { r, cpuUs: (cpuUs(b) - cpuUs(a)) * scale, sysUs: (b.cpuSystemUs - a.cpuSystemUs) * scale };
}

async function oneRun(s: Side): Promise<RunFigures> {
  const t = await startTracker(s);
  const g = new Generator(0, PEERS_GEN);
  started.push(g);
  if (PIN) pin(g.child.pid!, flags['generator-cpu']);
  await sleep(300);
  const base = await t.gcStats();
  const { connected } = await g.call<{ connected: number }>({
    cmd: 'connect', side: s, url: t.wsUrl, swarms: SWARMS, peersPerSwarm: PER_SWARM, fanout: FANOUT, sdpBytes: SDP_BYTES,
    ...(s === 'bt' ? {} : { md: specs }), localAddress: g.localAddress,
  });
  const idle = await t.gcStats();
  // Most of the RSS difference between the two trackers is V8's young generation, grown by the
  // bursts (a tracker loading its state, the peers connecting) and given back only after a while idle:
  // said per run, so the RSS figure can be read for what it is.
  const v8Bytes = (x: typeof base) => Object.values(x.spaces).reduce((a, b) => a + b, 0);
  log(
    `  ${NAMES[s]}: young generation ${mib(base.spaces.new_space)} → ${mib(idle.spaces.new_space)}, old generation ${mib(base.spaces.old_space)} → ${mib(idle.spaces.old_space)}; ` +
      `RSS grew ${mib(idle.rss - base.rss)}: V8's heap ${mib(v8Bytes(idle) - v8Bytes(base))}, the rest (native, malloc) ${mib(idle.rss - base.rss - (v8Bytes(idle) - v8Bytes(base)))}`,
  );
  // A relayed signal is an offer or its answer: 2 × fan-out per announce.
  const fix = await measured(t, g, { cmd: 'fixed', announcesPerSec: RATE / (2 * FANOUT) }, 1500);
  await sleep(300);
  const sat = await measured(t, g, { cmd: 'saturate', window: WINDOW }, 1500);
  await g.call({ cmd: 'close' });
  await stopAll([g, t]);
  return {
    peers: connected,
    rssPerIdlePeer: (idle.rss - base.rss) / connected,
    heapPerIdlePeer: (idle.heapUsed - base.heapUsed) / connected,
    cpuUsPerSignal: fix.cpuUs / fix.r.relayed,
    sysUsPerSignal: fix.sysUs / fix.r.relayed,
    relayedPerSecFixed: (fix.r.relayed / MEASURE_MS) * 1000,
    latencyP50: percentile(fix.r.latencies, 50),
    latencyP99: percentile(fix.r.latencies, 99),
    saturationPerSec: (sat.r.relayed / MEASURE_MS) * 1000,
    trackerCpuAtSaturation: sat.cpuUs / (MEASURE_MS * 1000),
    errors: fix.r.errors + sat.r.errors,
  };
}

const NAMES: Record<Side, string> = { bt: 'bittorrent-tracker', md: 'Meshdrop', 'md-signal': 'Meshdrop (protocol 1 form)', 'md-alt': `Meshdrop${ALT_ROOT ? ` from ${ALT_ROOT}` : ''}${ALT_FLAGS.length ? ` with ${ALT_FLAGS.join(' ')}` : ''}` };
const sides: Side[] = ['bt', 'md', ...(flags['per-signal'] ? ['md-signal' as const] : []), ...(ALT ? ['md-alt' as const] : [])];
const runs: Record<Side, RunFigures[]> = { bt: [], md: [], 'md-signal': [], 'md-alt': [] };
for (let r = 1; r <= RUNS; r++) {
  for (const s of sides) {
    const f = await oneRun(s);
    runs[s].push(f);
    log(
      `run ${r} ${NAMES[s]}: ${f.peers} peers; idle RSS ${round(f.rssPerIdlePeer / KiB, 2)} KiB/peer, heap ${round(f.heapPerIdlePeer / KiB, 2)} KiB/peer; ` +
        `at ${RATE}/s offered: ${Math.round(f.relayedPerSecFixed)}/s relayed, ${round(f.cpuUsPerSignal, 1)} µs CPU per relayed signal (${round(f.sysUsPerSignal, 1)} kernel), ` +
        `latency p50 ${round(f.latencyP50, 2)} ms p99 ${round(f.latencyP99, 2)} ms; saturation ${Math.round(f.saturationPerSec)} signals/s (tracker CPU ${Math.round(f.trackerCpuAtSaturation * 100)}%); errors ${f.errors}`,
    );
  }
}
await cleanup();

// ------------------------------------------------------------------ summary

const med = (s: Side, k: keyof RunFigures) => median(runs[s].map((x) => x[k]));
const figures = (s: Side) => ({
  cpuUsPerSignal: round(med(s, 'cpuUsPerSignal'), 1),
  kernelUsPerSignal: round(med(s, 'sysUsPerSignal'), 1),
  relayedPerSecAtFixedRate: Math.round(med(s, 'relayedPerSecFixed')),
  signalsPerSecSaturation: Math.round(med(s, 'saturationPerSec')),
  trackerCpuAtSaturation: round(med(s, 'trackerCpuAtSaturation'), 2),
  rssPerIdlePeerKiB: round(med(s, 'rssPerIdlePeer') / KiB, 2),
  heapPerIdlePeerKiB: round(med(s, 'heapPerIdlePeer') / KiB, 2),
  latencyMsP50: round(med(s, 'latencyP50'), 2),
  latencyMsP99: round(med(s, 'latencyP99'), 2),
  errors: runs[s].reduce((n, x) => n + x.errors, 0),
  perRun: runs[s].map((x) => ({ cpuUsPerSignal: round(x.cpuUsPerSignal, 1), saturation: Math.round(x.saturationPerSec), heapPerIdlePeerKiB: round(x.heapPerIdlePeer / KiB, 2) })),
});
const bt = figures('bt');
const md = figures('md');
const ratio = (a: number, b: number) => round(a / b, 2);
const ratios = {
  cpuPerSignal: ratio(md.cpuUsPerSignal, bt.cpuUsPerSignal),
  /**
   * The median of each run's own ratio (Meshdrop ÷ the bittorrent-tracker run just before it): the two
   * of a pair share the machine's state more closely than the sets' medians do. Shown beside the
   * target's figure, never in its place.
   */
  cpuPerSignalByRun: round(median(runs.md.map((x, i) => x.cpuUsPerSignal / runs.bt[i]!.cpuUsPerSignal)), 2),
  saturation: ratio(md.signalsPerSecSaturation, bt.signalsPerSecSaturation),
  rssPerIdlePeer: ratio(md.rssPerIdlePeerKiB, bt.rssPerIdlePeerKiB),
  heapPerIdlePeer: ratio(md.heapPerIdlePeerKiB, bt.heapPerIdlePeerKiB),
  latencyP50: ratio(md.latencyMsP50, bt.latencyMsP50),
  latencyP99: ratio(md.latencyMsP99, bt.latencyMsP99),
};
const met = (ok: boolean, target: string) => `${ok ? 'met' : 'MISSED'} (${target})`;
const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  node: process.version,
  model: { peers: PEERS, swarms: SWARMS, fanout: FANOUT, sdpBytes: SDP_BYTES, offeredSignalsPerSec: RATE, saturationWindow: WINDOW, runs: RUNS, pinned: PIN },
  bittorrentTracker: bt,
  meshdrop: md,
  ...(flags['per-signal'] ? { meshdropProtocol1Form: figures('md-signal') } : {}),
  ...(ALT ? { meshdropAlt: { flags: ALT_FLAGS.join(' '), root: ALT_ROOT, ...figures('md-alt') } } : {}),
  ratios,
  targets: {
    cpuPerSignal: met(ratios.cpuPerSignal <= 0.66, 'Meshdrop <= 0.66x, authorising every signal'),
    saturation: met(ratios.saturation >= 1.5, 'Meshdrop >= 1.5x'),
    rssPerIdlePeer: met(ratios.rssPerIdlePeer <= 1, 'Meshdrop <= 1x'),
    heapPerIdlePeer: met(ratios.heapPerIdlePeer <= 1, 'Meshdrop <= 1x'),
  },
};
log('');
for (const [name, f] of [['bittorrent-tracker', bt], ['Meshdrop', md]] as const) {
  log(
    `${name}: ${f.cpuUsPerSignal} µs CPU per relayed signal at ${RATE}/s (${f.kernelUsPerSignal} kernel); ${f.signalsPerSecSaturation} signals/s at saturation (tracker at ${Math.round(f.trackerCpuAtSaturation * 100)}% of its core); ` +
      `idle peer: RSS ${f.rssPerIdlePeerKiB} KiB, live heap ${f.heapPerIdlePeerKiB} KiB; latency p50 ${f.latencyMsP50} ms, p99 ${f.latencyMsP99} ms`,
  );
}
log(
  `Meshdrop / bittorrent-tracker: CPU per signal ×${ratios.cpuPerSignal} (${result.targets.cpuPerSignal}; median of the runs' own ratios ×${ratios.cpuPerSignalByRun}), saturation ×${ratios.saturation} (${result.targets.saturation}), ` +
    `RSS per idle peer ×${ratios.rssPerIdlePeer} (${result.targets.rssPerIdlePeer}), heap per idle peer ×${ratios.heapPerIdlePeer} (${result.targets.heapPerIdlePeer}), latency p50 ×${ratios.latencyP50}, p99 ×${ratios.latencyP99}`,
);
log(JSON.stringify(result));
process.exit(0);
