/**
 * Tracker load benchmark (issue 2): `npm run bench -- tracker-load [flags]`. The side-by-side
 * comparison with bittorrent-tracker is bench/tracker.ts.
 *
 * A real tracker (tracker-server/main.ts) in its own process, load generators
 * in others, real WebSockets on loopback. Set-up (users, groups joined by
 * invite, files) is done once over the protocol; then each run restarts the
 * tracker on that data dir, and the clients resume their sessions, announce,
 * ask for holders, and relay signals to each other. Figures are medians over
 * the runs; the last line is one JSON object with all of them.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { ClientSpec, PhaseResult } from './lib/loadgen.ts';
import { cpuUs, Generator, split, TrackerProcess } from './lib/procs.ts';
import { median, percentile, round } from './lib/stats.ts';
import { benchScratch } from './lib/scratch.ts';

const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    groups: { type: 'string', default: '500' },
    files: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    generators: { type: 'string', default: '2' },
    rate: { type: 'string', default: '5000' },
    'measure-ms': { type: 'string', default: '8000' },
    idle: { type: 'string', default: '19000' },
    'idle-runs': { type: 'string', default: '2' },
    'idle-generators': { type: 'string', default: '4' },
    'scrypt-n': { type: 'string', default: '16' },
    /**
     * Another checkout (e.g. `git worktree add /tmp/base <commit>` with node_modules linked)
     * whose tracker runs alternately with this one on the same data: a baseline measured in the same run.
     */
    compare: { type: 'string' },
    /** Skip the saturation phase (e.g. to profile the fixed-load phase alone). */
    'no-saturation': { type: 'boolean', default: false },
    /** Extra node flags for the tracker, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof */
    'tracker-node-flags': { type: 'string', default: '' },
  },
});
const N = Number(flags.clients);
const GROUPS = Number(flags.groups);
const FILES = Number(flags.files);
const RUNS = Number(flags.runs);
const GENS = Number(flags.generators);
const RATE = Number(flags.rate);
const MEASURE_MS = Number(flags['measure-ms']);
const IDLE = Number(flags.idle);
const IDLE_RUNS = Number(flags['idle-runs']);
const IDLE_GENS = Number(flags['idle-generators']);
const SCRYPT_N = Number(flags['scrypt-n']);
const NODE_FLAGS = flags['tracker-node-flags'].split(' ').filter(Boolean);
if (N % GROUPS !== 0) throw new Error('--clients must be a multiple of --groups');

const KiB = 1024;
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const { dataDir, started, cleanup } = await benchScratch('meshdrop-bench-tracker-');

const COMPARE = flags.compare;
async function tracker(root?: string): Promise<TrackerProcess> {
  const t = await TrackerProcess.start({ dataDir, scryptN: SCRYPT_N, nodeFlags: NODE_FLAGS, root });
  started.push(t);
  return t;
}
async function stopAll(procs: { stop(): Promise<void> }[]): Promise<void> {
  for (const p of procs) {
    await p.stop();
    started.splice(started.indexOf(p), 1);
  }
}
function generators(n: number): Generator[] {
  const gens = Array.from({ length: n }, (_, i) => new Generator(i));
  started.push(...gens);
  return gens;
}

/** Runs `measure` against tracker CPU read at the window's edges. */
async function measuredPhase(
  t: TrackerProcess,
  gens: Generator[],
  command: (startAt: number, warmupMs: number) => object,
  warmupMs: number,
): Promise<{ results: PhaseResult[]; cpuUs: number; sysUs: number; ms: number }> {
  const startAt = Date.now() + 300;
  const pending = Promise.all(gens.map((g) => g.call<PhaseResult>(command(startAt, warmupMs))));
  await sleep(startAt + warmupMs - Date.now());
  const a = await t.stats();
  await sleep(startAt + warmupMs + MEASURE_MS - Date.now());
  const b = await t.stats();
  const results = await pending;
  // CPU over the tracker's own sample times, scaled to the generators' window (their counts cover MEASURE_MS).
  const scale = MEASURE_MS / (b.at - a.at);
  return { results, cpuUs: (cpuUs(b) - cpuUs(a)) * scale, sysUs: (b.cpuSystemUs - a.cpuSystemUs) * scale, ms: MEASURE_MS };
}

const sum = (rs: PhaseResult[], k: 'ok' | 'errors' | 'delivered' | 'outstanding') => rs.reduce((s, r) => s + r[k], 0);

// ------------------------------------------------------------------ set-up

log(`Meshdrop tracker benchmark — ${new Date().toISOString()}`);
log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${process.platform}`);
log(`load: ${N} clients in ${GROUPS} groups of ${N / GROUPS}, ${FILES} files per group; ${GENS} generator processes; ${RUNS} runs (figures are medians)`);
log(`note: the tracker runs with --scrypt-n ${SCRYPT_N} so that set-up (${N} sign-ups and log-ins) is quick; production's scrypt cost (N=32768) only affects create_user/login, none of the figures below.`);

interface RunFigures {
  connectMs: number;
  rssPerIdleClient: number;
  rssPerActiveClient: number;
  heapPerActiveClient: number;
  idleCpuUsPerSec: number;
  saturationPerSec: number;
  saturationTrackerCpu: number;
  saturationLatencyP50: number;
  saturationLatencyP99: number;
  cpuUsPerSignal: number;
  /** The kernel's share (system time: socket reads and writes), the rest is user time (JavaScript, GC). */
  sysUsPerSignal: number;
  fixedAchievedPerSec: number;
  fixedLatencyP50: number;
  fixedLatencyP99: number;
  announceP50: number;
  announceP99: number;
  holdersP50: number;
  holdersP99: number;
  fixedErrors: number;
  delivered: number;
}

let specs: ClientSpec[];
{
  const t0 = Date.now();
  const t = await tracker();
  const gens = generators(GENS);
  const groupIds = Array.from({ length: GROUPS }, (_, g) => g);
  const parts = await Promise.all(
    split(groupIds, GENS).map((groups, i) =>
      gens[i]!.call<ClientSpec[]>({ cmd: 'setup', url: t.wsUrl, groups, membersPerGroup: N / GROUPS, filesPerGroup: FILES, localAddress: gens[i]!.localAddress }),
    ),
  );
  specs = parts.flat();
  await stopAll([...gens, t]);
  log(`set-up: ${specs.length} users signed up and logged in, ${GROUPS} groups joined by invite, ${GROUPS * FILES} files shared, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ------------------------------------------------------------------ runs with N active clients

const runs: RunFigures[] = [];
const baselineRuns: RunFigures[] = [];
for (let i = 0; i < RUNS * (COMPARE ? 2 : 1); i++) {
  const r = COMPARE ? Math.floor(i / 2) + 1 : i + 1;
  const isBaseline = COMPARE !== undefined && i % 2 === 1;
  const t = await tracker(isBaseline ? COMPARE : undefined);
  const gens = generators(GENS);
  await sleep(300);
  const base = await t.gcStats();

  const c0 = Date.now();
  const slices = split(specs, GENS);
  const connected = await Promise.all(gens.map((g, i) => g.call<{ connected: number }>({ cmd: 'connect', url: t.wsUrl, clients: slices[i], localAddress: g.localAddress })));
  const connectMs = Date.now() - c0;
  const held = connected.reduce((s, c) => s + c.connected, 0);
  const idleMem = await t.gcStats();

  const ann = await Promise.all(gens.map((g) => g.call<{ latencies: number[] }>({ cmd: 'announce' })));
  const hol = await Promise.all(gens.map((g) => g.call<{ latencies: number[]; peersSeen: number }>({ cmd: 'holders' })));
  const activeMem = await t.gcStats();

  const q0 = await t.stats();
  await sleep(2000);
  const q1 = await t.stats();

  const sat = flags['no-saturation']
    ? { results: [], cpuUs: NaN, sysUs: NaN, ms: MEASURE_MS }
    : await measuredPhase(t, gens, (startAt, warmupMs) => ({ cmd: 'saturate', startAt, warmupMs, measureMs: MEASURE_MS, window: 400 }), 1500);
  const satLat = sat.results.flatMap((x) => x.latencies);
  await sleep(500);
  const fix = await measuredPhase(t, gens, (startAt, warmupMs) => ({ cmd: 'fixed', startAt, warmupMs, measureMs: MEASURE_MS, rate: RATE / GENS }), 2000);
  const fixLat = fix.results.flatMap((x) => x.latencies);
  const fixOk = sum(fix.results, 'ok');
  const annLat = ann.flatMap((x) => x.latencies);
  const holLat = hol.flatMap((x) => x.latencies);

  await Promise.all(gens.map((g) => g.call({ cmd: 'close' })));
  await stopAll([...gens, t]);

  const figures: RunFigures = {
    connectMs,
    rssPerIdleClient: (idleMem.rss - base.rss) / held,
    rssPerActiveClient: (activeMem.rss - base.rss) / held,
    heapPerActiveClient: (activeMem.heapUsed - base.heapUsed) / held,
    idleCpuUsPerSec: ((cpuUs(q1) - cpuUs(q0)) / 2),
    saturationPerSec: (sum(sat.results, 'ok') / sat.ms) * 1000,
    saturationTrackerCpu: sat.cpuUs / (sat.ms * 1000),
    saturationLatencyP50: percentile(satLat, 50),
    saturationLatencyP99: percentile(satLat, 99),
    cpuUsPerSignal: fix.cpuUs / fixOk,
    sysUsPerSignal: fix.sysUs / fixOk,
    fixedAchievedPerSec: (fixOk / fix.ms) * 1000,
    fixedLatencyP50: percentile(fixLat, 50),
    fixedLatencyP99: percentile(fixLat, 99),
    announceP50: percentile(annLat, 50),
    announceP99: percentile(annLat, 99),
    holdersP50: percentile(holLat, 50),
    holdersP99: percentile(holLat, 99),
    fixedErrors: sum(fix.results, 'errors') + sum(sat.results, 'errors'),
    delivered: sum(fix.results, 'delivered'),
  };
  (isBaseline ? baselineRuns : runs).push(figures);
  log(
    `${isBaseline ? 'baseline ' : ''}run ${r}: ${held} clients held (connected+resumed in ${(connectMs / 1000).toFixed(1)} s); ` +
      `RSS/client ${round(figures.rssPerIdleClient / KiB, 2)} KiB signed-in, ${round(figures.rssPerActiveClient / KiB, 2)} KiB after announce+get_holders; ` +
      `saturation ${Math.round(figures.saturationPerSec)} signals/s (tracker CPU ${Math.round(figures.saturationTrackerCpu * 100)}%, p50 ${round(figures.saturationLatencyP50, 2)} ms, p99 ${round(figures.saturationLatencyP99, 2)} ms); ` +
      `at ${RATE}/s offered: ${Math.round(figures.fixedAchievedPerSec)}/s relayed, ${round(figures.cpuUsPerSignal, 1)} µs tracker CPU per signal (${round(figures.sysUsPerSignal, 1)} µs of it in the kernel), ` +
      `p50 ${round(figures.fixedLatencyP50, 2)} ms, p99 ${round(figures.fixedLatencyP99, 2)} ms; errors ${figures.fixedErrors}; idle CPU ${Math.round(figures.idleCpuUsPerSec)} µs/s; peers seen ${hol.reduce((s, h) => s + h.peersSeen, 0)}`,
  );
}

// ------------------------------------------------------------------ idle clients held by one tracker

interface IdleFigures {
  held: number;
  rssPerClient: number;
  heapPerClient: number;
  rssTotal: number;
  connectMs: number;
}
const idleRuns: IdleFigures[] = [];
for (let r = 1; r <= IDLE_RUNS && IDLE > 0; r++) {
  const t = await tracker();
  const gens = generators(IDLE_GENS);
  await sleep(300);
  const base = await t.gcStats();
  // Several tabs per account: 19,000 connections over the set-up's users, each resuming a session.
  const many = Array.from({ length: IDLE }, (_, i) => specs[i % specs.length]!);
  const slices = split(many, IDLE_GENS);
  const c0 = Date.now();
  const connected = await Promise.all(
    gens.map((g, i) => g.call<{ connected: number }>({ cmd: 'connect', url: t.wsUrl, clients: slices[i], localAddress: g.localAddress })),
  );
  const connectMs = Date.now() - c0;
  const held = connected.reduce((s, c) => s + c.connected, 0);
  const mem = await t.gcStats();
  await Promise.all(gens.map((g) => g.call({ cmd: 'close' })));
  await stopAll([...gens, t]);
  const fig = { held, rssPerClient: (mem.rss - base.rss) / held, heapPerClient: (mem.heapUsed - base.heapUsed) / held, rssTotal: mem.rss, connectMs };
  idleRuns.push(fig);
  log(
    `idle run ${r}: ${held} idle signed-in clients held by one tracker process (connected+resumed in ${(connectMs / 1000).toFixed(1)} s); ` +
      `RSS ${round(mem.rss / 2 ** 20, 1)} MiB (base ${round(base.rss / 2 ** 20, 1)} MiB): ${round(fig.rssPerClient / KiB, 2)} KiB per client, heap ${round(fig.heapPerClient / KiB, 2)} KiB per client`,
  );
}

await cleanup();

// ------------------------------------------------------------------ summary

const med = (k: keyof RunFigures) => median(runs.map((x) => x[k]));
const medIdle = (k: keyof IdleFigures) => median(idleRuns.map((x) => x[k]));
const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  node: process.version,
  clients: N,
  groups: GROUPS,
  filesPerGroup: FILES,
  runs: RUNS,
  scryptN: SCRYPT_N,
  clientsHeld: N,
  rssPerIdleClientKiB: round(medIdle('rssPerClient') / KiB, 2),
  idleClientsHeld: IDLE > 0 ? Math.min(...idleRuns.map((x) => x.held)) : 0,
  idleTrackerRssMiB: round(medIdle('rssTotal') / 2 ** 20, 1),
  rssPerSignedInClientKiB: round(med('rssPerIdleClient') / KiB, 2),
  rssPerActiveClientKiB: round(med('rssPerActiveClient') / KiB, 2),
  signalsPerSecSaturation: Math.round(med('saturationPerSec')),
  trackerCpuAtSaturation: round(med('saturationTrackerCpu'), 2),
  cpuUsPerSignal: round(med('cpuUsPerSignal'), 1),
  kernelUsPerSignal: round(med('sysUsPerSignal'), 1),
  offeredSignalsPerSec: RATE,
  achievedSignalsPerSec: Math.round(med('fixedAchievedPerSec')),
  signalLatencyMsP50: round(med('fixedLatencyP50'), 2),
  signalLatencyMsP99: round(med('fixedLatencyP99'), 2),
  saturationLatencyMsP50: round(med('saturationLatencyP50'), 2),
  saturationLatencyMsP99: round(med('saturationLatencyP99'), 2),
  announceLatencyMsP50: round(med('announceP50'), 2),
  announceLatencyMsP99: round(med('announceP99'), 2),
  getHoldersLatencyMsP50: round(med('holdersP50'), 2),
  getHoldersLatencyMsP99: round(med('holdersP99'), 2),
  signalErrors: runs.reduce((s, x) => s + x.fixedErrors, 0),
  ...(COMPARE
    ? {
        baseline: COMPARE,
        baselineCpuUsPerSignal: round(median(baselineRuns.map((x) => x.cpuUsPerSignal)), 1),
        cpuPerSignalVsBaseline: round(med('cpuUsPerSignal') / median(baselineRuns.map((x) => x.cpuUsPerSignal)), 2),
        baselineSignalsPerSecSaturation: Math.round(median(baselineRuns.map((x) => x.saturationPerSec))),
        baselineRssPerActiveClientKiB: round(median(baselineRuns.map((x) => x.rssPerActiveClient)) / KiB, 2),
      }
    : {}),
  targets: {
    cpuUsPerSignal: '<= 30',
    rssPerIdleClientKiB: '<= 6',
    idleClientsHeld: '>= 19000',
  },
};
result.targets = {
  cpuUsPerSignal: `${result.cpuUsPerSignal <= 30 ? 'met' : 'MISSED'} (<= 30)`,
  rssPerIdleClientKiB: `${result.rssPerIdleClientKiB <= 6 ? 'met' : 'MISSED'} (<= 6)`,
  idleClientsHeld: `${result.idleClientsHeld >= 19_000 ? 'met' : 'MISSED'} (>= 19000)`,
};
log('');
log(`clients held: ${N} active (each signed in, 2 files announced and watched); ${result.idleClientsHeld} idle signed-in clients by one tracker process`);
log(`tracker RSS per client (after forced GC): ${result.rssPerIdleClientKiB} KiB idle (at ${result.idleClientsHeld}), ${result.rssPerActiveClientKiB} KiB active (at ${N})`);
log(`signals relayed per second at saturation: ${result.signalsPerSecSaturation} (tracker at ${Math.round(result.trackerCpuAtSaturation * 100)}% of one core; the rest of the 2 cores drives the load)`);
log(`tracker CPU per relayed signal at ${RATE}/s offered: ${result.cpuUsPerSignal} µs (authorization, schema parsing, reply and relay included; ${result.kernelUsPerSignal} µs of it in the kernel: one socket read and two writes)`);
log(`signal request latency at ${RATE}/s: p50 ${result.signalLatencyMsP50} ms, p99 ${result.signalLatencyMsP99} ms; announce p50/p99 ${result.announceLatencyMsP50}/${result.announceLatencyMsP99} ms, get_holders ${result.getHoldersLatencyMsP50}/${result.getHoldersLatencyMsP99} ms (during the connect burst)`);
if (COMPARE) {
  log(`baseline ${COMPARE}: ${result.baselineCpuUsPerSignal} µs CPU per signal (this tracker: ×${result.cpuPerSignalVsBaseline}), ${result.baselineSignalsPerSecSaturation} signals/s at saturation, ${result.baselineRssPerActiveClientKiB} KiB per active client`);
}
log(JSON.stringify(result));
process.exit(0);
