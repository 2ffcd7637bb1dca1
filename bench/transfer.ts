/**
 * Transfer engine in real Chromium, everything in one run so the ratios hold
 * on a noisy machine (one browser process per person, real WebRTC, real
 * IndexedDB on disk, a real tracker serving the built app):
 *
 * 1. Raw RTCDataChannel throughput between two Chromium processes (no
 *    Meshdrop code) against Meshdrop's one-seeder download of the same size,
 *    hashing and IndexedDB included: both rates, the ratio, and the CPU time
 *    per MB of both browsers together. Runs alternate; medians. Targets:
 *    throughput ≥ 0.9× raw, CPU per MB ≤ 1.1× raw. `--profile` runs the CDP
 *    Profiler on both pages during the last raw run and the last Meshdrop
 *    run and prints the functions with the most self time
 *    (docs/transfer-profile.md); build
 *    unminified for names (see that page).
 * 2. Four seeders each capped at R against one seeder capped at R: the
 *    speedup of the download. Target ≥ 3.5.
 * 3. Sharing a file: the worker's hashing rate against raw WebCrypto SHA-1 of
 *    512 KiB buffers on the page's thread (target ≥ 0.8), and the whole share
 *    against reading the same file piece by piece without hashing, in the
 *    same browser and run (target ≥ 0.9).
 * 4. Big files flat: sharing, downloading and saving `--big-mb` (4 GiB)
 *    against `--big-base-mb` (512 MiB), fresh browsers each: peak JS heap of
 *    the downloading page (CDP's JSHeapUsedSize every 100 ms, target
 *    < 256 MiB) and peak renderer RSS of both pages, big against base
 *    (target ≤ 1.1). Needs about 3× the big size free in the temp dir.
 *    `--big-raw` adds the baseline: the same sizes over a raw data channel
 *    between two fresh browsers, the receiving page's peak renderer RSS
 *    and its ratio. `--rss-trace` prints each receiving page's RSS every
 *    10 s.
 *
 *   npm run build:test && npx tsx bench/transfer.ts [--size-mb 256] [--runs 3]
 *     [--swarm-mb 32] [--rate-mb 1] [--share-mb 1024] [--big-mb 4096]
 *     [--big-base-mb 512] [--big-share-only] [--big-raw] [--rss-trace] [--only raw,swarm,hash,big] [--profile] [--quick]
 *     [--web-dir dist/test-web] [--base-web-dir dist/base-web] [--threads]
 *
 * `--base-web-dir` (section 1) also runs the build in that directory (e.g.
 * main's, built before a change) in each run, on a second tracker with its
 * own two browsers, right after the raw channel, the two builds taking
 * turns going first: before and after, each against the raw channel of the
 * same run. Each transfer of section 1 also prints the share of the
 * machine's UDP datagrams dropped for a full socket buffer during it
 * (lib/udp-drops.ts): the losses SCTP slows down for.
 *
 * `--quick` shrinks every size (64/16/256 MiB, big 256 against 64, one run) for a smoke run.
 * Prints figures; the last line is one JSON object with every figure.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { launchPerson, type Person } from '../tests/helpers/browser.ts';
import { startTestTracker } from '../tests/helpers/tracker.ts';
import { openSession, formGroup } from '../tests/helpers/swarm-e2e.ts';
import { median, round } from './lib/stats.ts';
import { randomFile } from './lib/files.ts';
import { timedDownload, watched } from './lib/harness.ts';
import { cpuMs, rendererRss, threadCpuMs } from './lib/browser-procs.ts';
import { profilePage, type ProfileSummary } from './lib/cpu-profile.ts';
import { dropsPerMille, udpCounters } from './lib/udp-drops.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string' },
    runs: { type: 'string' },
    'swarm-mb': { type: 'string' },
    'rate-mb': { type: 'string' },
    'share-mb': { type: 'string' },
    'big-mb': { type: 'string' },
    'big-base-mb': { type: 'string' },
    'big-share-only': { type: 'boolean', default: false },
    only: { type: 'string' },
    'web-dir': { type: 'string' },
    'base-web-dir': { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    'rss-trace': { type: 'boolean', default: false },
    'big-raw': { type: 'boolean', default: false },
  },
});
const quick = values.quick!;
const MiB = 1024 * 1024;
const num = (v: string | undefined, full: number, small: number) => Number(v ?? (quick ? small : full));
const cfg = {
  sizeMb: num(values['size-mb'], 256, 64),
  runs: num(values.runs, 3, 1),
  swarmMb: num(values['swarm-mb'], 32, 16),
  rateMb: num(values['rate-mb'], 1, 1),
  shareMb: num(values['share-mb'], 1024, 256),
  bigMb: num(values['big-mb'], 4096, 256),
  bigBaseMb: num(values['big-base-mb'], 512, 64),
};
const only = new Set((values.only ?? 'raw,swarm,hash,big').split(','));

// ---------------------------------------------------------------- plumbing

/** Teardowns run in reverse at the end (the test helpers expect t.after). */
const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };
async function cleanup(): Promise<void> {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}

const workDir = await mkdtemp(join(tmpdir(), 'meshdrop-bench-'));
t.after(() => rm(workDir, { recursive: true, force: true }));

const cpuOf = async (people: Person[]) => (await Promise.all(people.map(cpuMs))).reduce((a, b) => a + b, 0);

/** --threads: CPU per thread name of both people, summed over every run of one kind ("raw", "meshdrop"). */
const threadTotals = new Map<string, Map<string, number>>();
async function threadsOf(people: Person[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [i, p] of people.entries()) for (const [k, v] of await threadCpuMs(p)) out.set(`${i === 0 ? 'sender' : 'receiver'} ${k}`, v);
  return out;
}
function addThreads(kind: string, before: Map<string, number>, after: Map<string, number>): void {
  const total = threadTotals.get(kind) ?? new Map<string, number>();
  for (const [k, v] of after) total.set(k, (total.get(k) ?? 0) + v - (before.get(k) ?? 0));
  threadTotals.set(kind, total);
}

const log = (line: string) => console.log(line);
function printProfile(who: string, p: ProfileSummary, bytes: number): void {
  log(`profile ${who} main thread: busy ${p.busyMs} of ${p.totalMs} ms (${round(p.busyMs / (bytes / 1e6), 2)} ms/MB)`);
  for (const row of p.top) log(`  ${String(row.selfMs).padStart(6)} ms ${String(row.share).padStart(5)} %  ${row.where}`);
}
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

// ---------------------------------------------------------------- setup

// The built app and test harness (dist/test-web by default, `npm run build:test`); --web-dir points at another build, e.g. one other work cannot rebuild mid-run.
const tracker = await startTestTracker(t, values['web-dir'] ? { webDir: values['web-dir'] } : {});
const result: Record<string, unknown> = { config: cfg };

async function person(name: string, options: Parameters<typeof openSession>[2] = {}, httpUrl = tracker.httpUrl): Promise<Person> {
  const p = await launchPerson(t, name);
  await openSession(p, httpUrl, options);
  return p;
}

const removeFile = (p: Person, fileId: string) => p.page.evaluate((f) => window.meshdropHarness.s().engine.remove(f), fileId);

async function share(p: Person, path: string, groupId: string, keep: 'original' | 'store' = 'original') {
  await p.page.setInputFiles('#file', path);
  return p.page.evaluate(
    ([g, k]) => window.meshdropHarness.s().share(window.meshdropHarness.pickedFile(), g!, { keep: k as 'original' | 'store' }),
    [groupId, keep],
  );
}

interface PageMemory {
  heapMiB: number;
  rssMiB: number;
}
interface BigRun {
  shareMBps: number;
  downloadMBps: number;
  /** The sharing page while it hashes and registers the file. */
  sharing: PageMemory;
  /** The sharing page while it serves the download. */
  seeder: PageMemory;
  /** Peaks over the download and the save, and each phase's own RSS peak. */
  leecher: PageMemory & { downloadingRssMiB: number; savingRssMiB: number };
}

/**
 * Samples a page's JS heap (CDP) and its browser's renderer RSS every 100 ms
 * until stopped; peaks in MiB, and (`--rss-trace`) the RSS every 10 s, to
 * tell a renderer that grows with the bytes from one that jumps once.
 */
async function sampleMemory(p: Person): Promise<{ stop(): Promise<PageMemory & { trace: string[] }> }> {
  const cdp = await p.context.newCDPSession(p.page);
  await cdp.send('Performance.enable');
  let heap = 0;
  let rss = 0;
  let sampling = true;
  const t0 = performance.now();
  const trace: string[] = [];
  const loop = (async () => {
    while (sampling) {
      const { metrics } = await cdp.send('Performance.getMetrics');
      heap = Math.max(heap, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
      // JSHeapUsedSize leaves out ArrayBuffer backing stores (pieces in flight live there): the renderer's RSS shows them.
      const now = await rendererRss(p);
      rss = Math.max(rss, now);
      const s = Math.floor((performance.now() - t0) / 10_000) * 10;
      if (values['rss-trace'] && trace.length <= s / 10) trace.push(`${s}s ${round(now / MiB)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      await cdp.detach().catch(() => undefined);
      return { heapMiB: round(heap / MiB), rssMiB: round(rss / MiB), trace };
    },
  };
}

/**
 * Section 4's baseline (`--big-raw`): the same bytes over a raw data channel
 * between two fresh browsers, no Meshdrop code, the receiving page's renderer
 * RSS sampled as the downloading page's is. A received message's buffer is
 * not freed when the page drops it, nor when it detaches it, only by a later
 * collection, so a receiver's RSS swings with the collector's timing
 * whatever the page does with the bytes (docs/transfer-profile.md).
 */
async function bigRawRun(mb: number): Promise<{ rssMiB: number; MBps: number }> {
  const sender = await person(`bigrawsend${mb}`);
  const receiver = await person(`bigrawrecv${mb}`);
  try {
    const id = `bigraw-${mb}`;
    const offer = await sender.page.evaluate((i) => window.meshdropHarness.rawChannelBench.offer(i), id);
    const answer = await receiver.page.evaluate(([i, o]) => window.meshdropHarness.rawChannelBench.answer(i as string, o as RTCSessionDescriptionInit), [id, offer] as const);
    await sender.page.evaluate(([i, a]) => window.meshdropHarness.rawChannelBench.accept(i as string, a as RTCSessionDescriptionInit), [id, answer] as const);
    const mem = await sampleMemory(receiver);
    const total = mb * MiB;
    const t0 = performance.now();
    await Promise.all([
      receiver.page.evaluate(([i, n]) => window.meshdropHarness.rawChannelBench.receive(i as string, n as number), [id, total] as const),
      sender.page.evaluate(([i, n]) => window.meshdropHarness.rawChannelBench.send(i as string, n as number, 65536), [id, total] as const),
    ]);
    const ms = performance.now() - t0;
    const m = await mem.stop();
    if (m.trace.length > 0) log(`${mb} MiB raw: receiving page's renderer RSS (MiB) every 10 s: ${m.trace.join(', ')}`);
    return { rssMiB: m.rssMiB, MBps: round(mbps(total, ms), 2) };
  } finally {
    await sender.close();
    await receiver.close();
  }
}

/** One size of section 4: fresh browsers, a share sampled on the sharing page, a download and save sampled on both. */
async function bigRun(mb: number): Promise<BigRun> {
  const seeder = await person(`bigseed${mb}`);
  const leecher = await person(`bigleech${mb}`);
  await formGroup(`big${mb}`, seeder, [leecher]);
  const file = await randomFile(workDir, `big-${mb}.bin`, mb);
  try {
    const shareMem = await sampleMemory(seeder);
    const t0 = performance.now();
    const { fileId } = await share(seeder, file.path, `big${mb}`);
    const shareMs = performance.now() - t0;
    const sharing = await shareMem.stop();
    if (values['big-share-only']) return { shareMBps: round(mbps(file.size, shareMs), 1), downloadMBps: NaN, sharing, seeder: sharing, leecher: { heapMiB: NaN, rssMiB: NaN, downloadingRssMiB: NaN, savingRssMiB: NaN } };
    const seederMem = await sampleMemory(seeder);
    const leecherMem = await sampleMemory(leecher);
    const dms = await timedDownload(leecher, fileId);
    const downloading = await leecherMem.stop();
    if (downloading.trace.length > 0) log(`${mb} MiB: downloading page's renderer RSS (MiB) every 10 s: ${downloading.trace.join(', ')}`);
    const saveMem = await sampleMemory(leecher);
    const [saved] = await Promise.all([
      leecher.page.waitForEvent('download', { timeout: 1_800_000 }),
      leecher.page.evaluate((f) => window.meshdropHarness.s().save(f, 'download'), fileId),
    ]);
    const savedPath = await saved.path();
    const [saving, sm] = [await saveMem.stop(), await seederMem.stop()];
    // The page's peak over the download and the save, as the item asks; each phase's own beside it.
    const l = { heapMiB: Math.max(downloading.heapMiB, saving.heapMiB), rssMiB: Math.max(downloading.rssMiB, saving.rssMiB), downloadingRssMiB: downloading.rssMiB, savingRssMiB: saving.rssMiB };
    const savedSize = (await stat(savedPath!)).size;
    assert.equal(savedSize, file.size, 'the saved file has every byte');
    await saved.delete();
    return { shareMBps: round(mbps(file.size, shareMs), 1), downloadMBps: round(mbps(file.size, dms), 2), sharing, seeder: sm, leecher: l };
  } finally {
    await seeder.close();
    await leecher.close();
    await rm(file.path, { force: true });
  }
}

try {
  // ------------------------------------------------------------ 1. raw vs meshdrop
  if (only.has('raw')) {
    log(`# 1. raw RTCDataChannel vs Meshdrop one-seeder download, ${cfg.sizeMb} MiB, ${cfg.runs} run(s)`);
    const seeder = await person('seeder');
    const leecher = await person('leecher');
    await formGroup('bench', seeder, [leecher]);
    const file = await randomFile(workDir, 'one.bin', cfg.sizeMb);
    const { fileId } = await share(seeder, file.path, 'bench');
    // `lost`: per mille of the machine's UDP datagrams dropped for a full socket buffer during the transfer (lib/udp-drops.ts).
    const raw: { rate: number; cpu: number; lost: number }[] = [];
    const mesh: { rate: number; cpu: number; lost: number }[] = [];
    // --base-web-dir: the other build, its own tracker and two browsers, the same file.
    const baseTracker = values['base-web-dir'] ? await startTestTracker(t, { webDir: values['base-web-dir'] }) : undefined;
    let basePair: { seeder: Person; leecher: Person; fileId: string } | undefined;
    if (baseTracker) {
      const bs = await person('baseseeder', {}, baseTracker.httpUrl);
      const bl = await person('baseleecher', {}, baseTracker.httpUrl);
      await formGroup('bench', bs, [bl]);
      basePair = { seeder: bs, leecher: bl, fileId: (await share(bs, file.path, 'bench')).fileId };
    }
    const base: { rate: number; cpu: number; lost: number }[] = [];
    for (let run = 0; run < cfg.runs; run++) {
      // Raw: 64 KiB messages (Meshdrop's block size), bufferedamountlow backpressure, signals through this process.
      const id = `raw-${run}`;
      const offer = await seeder.page.evaluate((i) => window.meshdropHarness.rawChannelBench.offer(i), id);
      const answer = await leecher.page.evaluate(([i, o]) => window.meshdropHarness.rawChannelBench.answer(i as string, o as RTCSessionDescriptionInit), [id, offer] as const);
      await seeder.page.evaluate(([i, a]) => window.meshdropHarness.rawChannelBench.accept(i as string, a as RTCSessionDescriptionInit), [id, answer] as const);
      // --profile: the raw channel's pages too, in the last run, so the two profiles can be set side by side.
      const rawProfiling = values.profile && run === cfg.runs - 1 ? await Promise.all([profilePage(seeder.page), profilePage(leecher.page)]) : undefined;
      const th0 = values.threads ? await threadsOf([seeder, leecher]) : undefined;
      const cpu0 = await cpuOf([seeder, leecher]);
      const udp0 = await udpCounters();
      const t0 = performance.now();
      const total = file.size;
      const [got] = await Promise.all([
        leecher.page.evaluate(([i, n]) => window.meshdropHarness.rawChannelBench.receive(i as string, n as number), [id, total] as const),
        seeder.page.evaluate(([i, n]) => window.meshdropHarness.rawChannelBench.send(i as string, n as number, 65536), [id, total] as const),
      ]);
      const ms = performance.now() - t0;
      const rawLost = dropsPerMille(udp0, await udpCounters());
      const cpu = (await cpuOf([seeder, leecher])) - cpu0;
      if (th0) addThreads('raw', th0, await threadsOf([seeder, leecher]));
      if (rawProfiling) {
        const [ps, pl] = await Promise.all(rawProfiling.map((p) => p.stop(8)));
        printProfile('raw sender', ps!, total);
        printProfile('raw receiver', pl!, total);
        result.rawProfile = { sender: ps, receiver: pl };
      }
      assert.ok(got.bytes >= total);
      raw.push({ rate: mbps(total, ms), cpu: cpu / (total / 1e6), lost: rawLost });
      await seeder.page.evaluate((i) => window.meshdropHarness.rawChannelBench.close(i), id);
      await leecher.page.evaluate((i) => window.meshdropHarness.rawChannelBench.close(i), id);

      // One timed download by a pair of browsers into `out`, its CPU per thread under `kind` (--threads);
      // --profile: CDP Profiler on both pages during this build's last run (the figures of that run carry its overhead).
      const timed = async (pair: { seeder: Person; leecher: Person; fileId: string }, kind: 'meshdrop' | 'base', out: typeof mesh) => {
        const people = [pair.seeder, pair.leecher];
        const profiling = values.profile && kind === 'meshdrop' && run === cfg.runs - 1 ? await Promise.all(people.map((p) => profilePage(p.page))) : undefined;
        const th0 = values.threads ? await threadsOf(people) : undefined;
        const c0 = await cpuOf(people);
        const u0 = await udpCounters();
        const ms = await watched(pair.leecher, pair.fileId, timedDownload(pair.leecher, pair.fileId));
        const lost = dropsPerMille(u0, await udpCounters());
        const dcpu = (await cpuOf(people)) - c0;
        if (th0) addThreads(kind, th0, await threadsOf(people));
        if (profiling) {
          const [ps, pl] = await Promise.all(profiling.map((p) => p.stop(15)));
          printProfile('seeder', ps!, file.size);
          printProfile('leecher', pl!, file.size);
          result.profile = { seeder: ps, leecher: pl };
        }
        out.push({ rate: mbps(file.size, ms), cpu: dcpu / (file.size / 1e6), lost });
        await removeFile(pair.leecher, pair.fileId); // the next run downloads from scratch
      };
      const thisBuild = () => timed({ seeder, leecher, fileId }, 'meshdrop', mesh);
      const baseBuild = (pair: NonNullable<typeof basePair>) => timed(pair, 'base', base);
      // The two builds take turns going first after the raw channel: whichever goes second meets a warmer, fuller machine.
      if (basePair && run % 2 === 1) {
        await baseBuild(basePair);
        await thisBuild();
      } else {
        await thisBuild();
        if (basePair) await baseBuild(basePair);
      }
      const [r, m] = [raw.at(-1)!, mesh.at(-1)!];
      log(`run ${run + 1}: raw ${round(r.rate)} MB/s (${round(r.cpu)} CPU-ms/MB, ${round(r.lost, 2)}‰ UDP lost), meshdrop ${round(m.rate)} MB/s (${round(m.cpu)} CPU-ms/MB, ${round(m.lost, 2)}‰ lost)`);
      if (basePair) {
        const b = base.at(-1)!;
        log(`run ${run + 1}: base build ${round(b.rate)} MB/s (${round(b.cpu)} CPU-ms/MB, ${round(b.lost, 2)}‰ lost), ran ${run % 2 === 1 ? 'first' : 'second'}; against raw: this build ×${round(m.rate / r.rate, 3)} rate, ×${round(m.cpu / r.cpu, 3)} CPU/MB; base ×${round(b.rate / r.rate, 3)} rate, ×${round(b.cpu / r.cpu, 3)} CPU/MB`);
      }
    }
    const r = { rawMBps: round(median(raw.map((x) => x.rate)), 2), meshdropMBps: round(median(mesh.map((x) => x.rate)), 2), rawCpuMsPerMB: round(median(raw.map((x) => x.cpu))), meshdropCpuMsPerMB: round(median(mesh.map((x) => x.cpu))) };
    const ratio = round(r.meshdropMBps / r.rawMBps, 3);
    const cpuRatio = round(r.meshdropCpuMsPerMB / r.rawCpuMsPerMB, 3);
    log(`median: raw ${r.rawMBps} MB/s, meshdrop ${r.meshdropMBps} MB/s, ratio ${ratio} (target ≥ 0.9)`);
    log(`median: CPU-ms/MB (both browsers) raw ${r.rawCpuMsPerMB}, meshdrop ${r.meshdropCpuMsPerMB}, ratio ${cpuRatio} (target ≤ 1.1)`);
    const lost = { rawUdpLostPerMille: round(median(raw.map((x) => x.lost)), 2), meshdropUdpLostPerMille: round(median(mesh.map((x) => x.lost)), 2) };
    log(`median: UDP datagrams dropped for a full socket buffer, raw ${lost.rawUdpLostPerMille}‰, meshdrop ${lost.meshdropUdpLostPerMille}‰ (what SCTP backs off for)`);
    result.oneSeeder = { ...r, ratio, cpuRatio, ...lost, runs: { raw, meshdrop: mesh } };
    if (values.threads) {
      // Per thread, CPU-ms per MB over all runs: where the download spends what the raw channel does not.
      const perMb = (kind: string, k: string) => round((threadTotals.get(kind)?.get(k) ?? 0) / ((cfg.runs * file.size) / 1e6), 2);
      const keys = [...new Set([...threadTotals.values()].flatMap((m) => [...m.keys()]))];
      const withBase = threadTotals.has('base');
      const rows = keys
        .map((k) => ({ thread: k, raw: perMb('raw', k), meshdrop: perMb('meshdrop', k), ...(withBase ? { base: perMb('base', k) } : {}) }))
        .filter((x) => x.raw + x.meshdrop + (x.base ?? 0) >= 0.5);
      rows.sort((a, b) => b.meshdrop - b.raw - (a.meshdrop - a.raw));
      log(`CPU-ms/MB per thread (sender = seeder, receiver = leecher): raw, this build, difference${withBase ? ', base build' : ''}; largest difference first:`);
      for (const x of rows) {
        const cells = [x.raw, x.meshdrop, round(x.meshdrop - x.raw, 2), ...(withBase ? [x.base!] : [])];
        log(`  ${x.thread.padEnd(48)} ${cells.map((c) => String(c).padStart(7)).join(' ')}`);
      }
      result.threads = rows;
    }
    if (basePair) {
      // Medians of the per-run ratios: each run's raw channel is the yardstick for both builds in it.
      const perRun = (xs: { rate: number; cpu: number; lost: number }[]) => ({
        ratio: round(median(xs.map((x, i) => x.rate / raw[i]!.rate)), 3),
        cpuRatio: round(median(xs.map((x, i) => x.cpu / raw[i]!.cpu)), 3),
        udpLostPerMille: round(median(xs.map((x) => x.lost)), 2),
      });
      const now = perRun(mesh);
      const before = perRun(base);
      log(`median of per-run ratios: this build ${now.ratio} rate, ${now.cpuRatio} CPU/MB, ${now.udpLostPerMille}‰ lost; base build (${values['base-web-dir']}) ${before.ratio} rate, ${before.cpuRatio} CPU/MB, ${before.udpLostPerMille}‰ lost`);
      result.oneSeederBase = { webDir: values['base-web-dir'], thisBuild: now, baseBuild: before, runs: base };
      await basePair.seeder.close();
      await basePair.leecher.close();
    }
    await seeder.close();
    await leecher.close();
  }

  // ------------------------------------------------------------ 2. four seeders vs one
  if (only.has('swarm')) {
    const rate = cfg.rateMb * MiB;
    log(`# 2. four seeders vs one, each capped at ${cfg.rateMb} MiB/s, ${cfg.swarmMb} MiB, ${cfg.runs} run(s)`);
    const seeders: Person[] = [];
    for (let i = 0; i < 4; i++) seeders.push(await person(`s${i}`, { limits: { uploadBytesPerSecond: rate } }));
    const leecher = await person('leech');
    await formGroup('swarm', seeders[0]!, [...seeders.slice(1), leecher]);
    const fOne = await randomFile(workDir, 'swarm-one.bin', cfg.swarmMb);
    const fFour = await randomFile(workDir, 'swarm-four.bin', cfg.swarmMb);
    const one = (await share(seeders[0]!, fOne.path, 'swarm')).fileId;
    let four = '';
    for (const s of seeders) four = (await share(s, fFour.path, 'swarm')).fileId;
    const speedups: number[] = [];
    const times: { one: number; four: number }[] = [];
    for (let run = 0; run < cfg.runs; run++) {
      const tOne = await timedDownload(leecher, one);
      const tFour = await timedDownload(leecher, four);
      await removeFile(leecher, one);
      await removeFile(leecher, four);
      times.push({ one: tOne, four: tFour });
      speedups.push(tOne / tFour);
      log(`run ${run + 1}: one seeder ${round(mbps(fOne.size, tOne), 2)} MB/s, four seeders ${round(mbps(fFour.size, tFour), 2)} MB/s, speedup ${round(tOne / tFour, 2)}`);
    }
    const speedup = round(median(speedups), 2);
    log(`median speedup ${speedup} (target ≥ 3.5)`);
    result.fourSeeders = { rateMiBps: cfg.rateMb, sizeMiB: cfg.swarmMb, speedup, runs: times.map((x) => ({ oneMs: round(x.one), fourMs: round(x.four) })) };
    for (const s of [...seeders, leecher]) await s.close();
  }

  // ------------------------------------------------------------ 3. hashing while sharing
  if (only.has('hash')) {
    log(`# 3. sharing ${cfg.shareMb} MiB: worker hashing vs raw WebCrypto SHA-1, ${cfg.runs} run(s)`);
    const sharer = await person('sharer');
    await sharer.page.evaluate(() => window.meshdropHarness.s().tracker.request('create_group', { groupId: 'hash' }));
    const file = await randomFile(workDir, 'share.bin', cfg.shareMb);
    await sharer.page.setInputFiles('#file', file.path);
    const rows: { worker: number; raw: number; rawFile: number; read: number; share: number }[] = [];
    for (let run = 0; run < cfg.runs; run++) {
      const r = await sharer.page.evaluate(async () => {
        const h = window.meshdropHarness;
        const s = h.s();
        const file = h.pickedFile();
        // Raw WebCrypto on this page's thread: digest 512 KiB buffers already in memory, as many as the file has.
        const buf = new Uint8Array(h.PIECE_SIZE);
        crypto.getRandomValues(buf.subarray(0, 65536));
        const n = Math.ceil(file.size / h.PIECE_SIZE);
        let t0 = performance.now();
        for (let i = 0; i < n; i++) await crypto.subtle.digest('SHA-1', buf);
        const raw = performance.now() - t0;
        // Raw WebCrypto over the file itself: read each piece, digest it, one at a time.
        t0 = performance.now();
        for (let i = 0; i < n; i++) await crypto.subtle.digest('SHA-1', await file.slice(i * h.PIECE_SIZE, (i + 1) * h.PIECE_SIZE).arrayBuffer());
        const rawFile = performance.now() - t0;
        // What the machine can do: read the same file piece by piece, no hashing (issue 12 item 5's yardstick).
        t0 = performance.now();
        for (let i = 0; i < n; i++) await file.slice(i * h.PIECE_SIZE, (i + 1) * h.PIECE_SIZE).arrayBuffer();
        const read = performance.now() - t0;
        // Meshdrop's share: worker hashing straight from the File, then register and seed (original kept).
        const shared = await s.share(file, 'hash', { keep: 'original' });
        await s.engine.remove(shared.fileId);
        return { raw, rawFile, read, worker: shared.hashMs, share: shared.shareMs };
      });
      const row = { worker: mbps(file.size, r.worker), raw: mbps(file.size, r.raw), rawFile: mbps(file.size, r.rawFile), read: mbps(file.size, r.read), share: mbps(file.size, r.share) };
      rows.push(row);
      log(`run ${run + 1}: worker hashing ${round(row.worker)} MB/s, raw WebCrypto ${round(row.raw)} MB/s (in memory), ${round(row.rawFile)} MB/s (reading the file); reading piece by piece, no hashing, ${round(row.read)} MB/s; whole share ${round(row.share)} MB/s`);
    }
    const h = { workerMBps: round(median(rows.map((x) => x.worker))), rawWebCryptoMBps: round(median(rows.map((x) => x.raw))), rawWebCryptoFileMBps: round(median(rows.map((x) => x.rawFile))), readMBps: round(median(rows.map((x) => x.read))), shareMBps: round(median(rows.map((x) => x.share))) };
    const ratio = round(h.workerMBps / h.rawWebCryptoMBps, 3);
    const shareVsRead = round(median(rows.map((x) => x.share / x.read)), 3);
    log(`median: worker ${h.workerMBps} MB/s vs raw WebCrypto ${h.rawWebCryptoMBps} MB/s: ratio ${ratio} (target ≥ 0.8)`);
    log(`median: whole share ${h.shareMBps} MB/s vs reading the file piece by piece without hashing ${h.readMBps} MB/s: ratio ${shareVsRead} (target ≥ 0.9)`);
    result.hashing = { sizeMiB: cfg.shareMb, ...h, ratio, shareVsRead };
    await sharer.close();
  }

  // ------------------------------------------------------------ 4. big files: flat memory
  if (only.has('big')) {
    log(`# 4. sharing, downloading and saving ${cfg.bigMb} MiB against ${cfg.bigBaseMb} MiB: peak JS heap and renderer RSS of both pages`);
    const runs: Record<string, BigRun> = {};
    for (const mb of [cfg.bigBaseMb, cfg.bigMb]) {
      const r = await bigRun(mb);
      runs[mb] = r;
      log(
        `${mb} MiB: shared at ${r.shareMBps} MB/s, downloaded at ${r.downloadMBps} MB/s, saved every byte; ` +
          `downloading page peak JS heap ${r.leecher.heapMiB} MiB, renderer RSS ${r.leecher.rssMiB} MiB (downloading ${r.leecher.downloadingRssMiB}, saving ${r.leecher.savingRssMiB}); ` +
          `sharing page peak JS heap ${r.sharing.heapMiB} MiB, renderer RSS ${r.sharing.rssMiB} MiB while sharing, ${r.seeder.heapMiB} / ${r.seeder.rssMiB} MiB while serving`,
      );
    }
    const base = runs[cfg.bigBaseMb]!;
    const big = runs[cfg.bigMb]!;
    if (values['big-raw']) {
      const raw: Record<string, { rssMiB: number; MBps: number }> = {};
      for (const mb of [cfg.bigBaseMb, cfg.bigMb]) {
        raw[mb] = await bigRawRun(mb);
        log(`${mb} MiB over a raw data channel: ${raw[mb].MBps} MB/s, receiving page's peak renderer RSS ${raw[mb].rssMiB} MiB`);
      }
      const rawRssRatio = round(raw[cfg.bigMb]!.rssMiB / raw[cfg.bigBaseMb]!.rssMiB, 3);
      log(`raw data channel's receiving page: renderer RSS ${cfg.bigMb} vs ${cfg.bigBaseMb} MiB: ratio ${rawRssRatio} (the baseline: no Meshdrop code)`);
      result.bigRaw = { raw, rawRssRatio };
    }
    const leecherRssRatio = round(big.leecher.rssMiB / base.leecher.rssMiB, 3);
    const seederRssRatio = round(big.seeder.rssMiB / base.seeder.rssMiB, 3);
    const sharingRssRatio = round(big.sharing.rssMiB / base.sharing.rssMiB, 3);
    log(`downloading page: peak JS heap ${big.leecher.heapMiB} MiB (target < 256 MiB); renderer RSS ${cfg.bigMb} vs ${cfg.bigBaseMb} MiB: ratio ${leecherRssRatio} (target ≤ 1.1)`);
    log(`sharing page while sharing: peak JS heap ${big.sharing.heapMiB} MiB; renderer RSS ${cfg.bigMb} vs ${cfg.bigBaseMb} MiB: ratio ${sharingRssRatio} (target ≤ 1.1)`);
    log(`sharing page while serving: peak JS heap ${big.seeder.heapMiB} MiB; renderer RSS ${cfg.bigMb} vs ${cfg.bigBaseMb} MiB: ratio ${seederRssRatio} (target ≤ 1.1)`);
    result.bigFile = { sizeMiB: cfg.bigMb, baseMiB: cfg.bigBaseMb, runs, peakJsHeapMiB: big.leecher.heapMiB, leecherRssRatio, sharingRssRatio, seederRssRatio };
  }
} finally {
  await cleanup();
}
console.log(JSON.stringify(result));
