/**
 * The command line's transfers, in one run so the ratios hold on a noisy
 * machine (bench/transfer.ts is the browser's half):
 *
 * 1. Command line → browser: a `meshdrop seed` serving a browser's one-seeder
 *    download, against a raw data channel Node (node-datachannel, no
 *    Meshdrop code) → Chromium of the same size.
 * 2. Command line → command line: `meshdrop download_file` from a
 *    `meshdrop seed` (two processes), against a raw channel between two
 *    node-datachannel peers (in this one process). The download's time is
 *    the command's minus a one-shot `list_files` (process start, connect).
 * 3. RSS of the downloading `meshdrop` process (VmRSS sampled every 100 ms)
 *    while it downloads a big file.
 *
 *   npm run build:test && npx tsx bench/transfer-cli.ts [--size-mb 128] [--big-mb 1024] [--only browser,cli,rss]
 *
 * `--big-mb 4096` is the 4 GiB. Prints figures; the last line is one JSON object.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { RTCPeerConnection } from 'webrtc-polyfill';
import { launchPerson } from '../tests/helpers/browser.ts';
import { startTestTracker, tempDir } from '../tests/helpers/tracker.ts';
import { openSession } from '../tests/helpers/swarm-e2e.ts';
import { ok, signedIn, type CliPerson } from '../tests/helpers/cli.ts';
import { round } from './lib/stats.ts';
import { randomFile } from './lib/files.ts';
import { timedDownload } from './lib/harness.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string' }, 'big-mb': { type: 'string' }, only: { type: 'string' } } });
const MiB = 1024 * 1024;
const sizeMb = Number(values['size-mb'] ?? 128);
const bigMb = Number(values['big-mb'] ?? 1024);
const only = new Set((values.only ?? 'browser,cli,rss').split(','));
const log = (line: string) => console.log(line);

const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };
const result: Record<string, number> = { sizeMb, bigMb };

/** Waits until ICE gathering is done, so one offer/answer carries every candidate. */
async function gathered(pc: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
  }
  return pc.localDescription!.toJSON();
}

/** Sends `total` bytes in 64 KiB messages with bufferedAmount backpressure, as the harness's raw bench does. */
async function rawSend(dc: RTCDataChannel, total: number): Promise<void> {
  const block = new Uint8Array(64 * 1024);
  dc.bufferedAmountLowThreshold = 256 * 1024;
  for (let sent = 0; sent < total; sent += block.length) {
    if (dc.bufferedAmount > MiB) await new Promise<void>((r) => dc.addEventListener('bufferedamountlow', () => r(), { once: true }));
    dc.send(block.subarray(0, Math.min(block.length, total - sent)));
  }
}

async function nodeOffer(): Promise<{ pc: RTCPeerConnection; dc: Promise<RTCDataChannel>; offer: RTCSessionDescriptionInit }> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const ch = pc.createDataChannel('bench', { ordered: true });
  ch.binaryType = 'arraybuffer';
  const dc = new Promise<RTCDataChannel>((r) => (ch.onopen = () => r(ch)));
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, dc, offer: await gathered(pc) };
}

/** Time of a one-shot command run to its end, ms. */
async function timed(p: CliPerson, args: string[]): Promise<number> {
  const t0 = performance.now();
  await ok(p, args);
  return performance.now() - t0;
}

try {
  const tracker = await startTestTracker(t);
  const dir = await tempDir(t, 'meshdrop-bench-cli-');
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  const bob = await signedIn(t, 'bob', tracker.wsUrl);
  await ok(alice, ['create_group', 'bench']);
  await ok(bob, ['join_group', 'bench']);
  await ok(alice, ['accept_request', 'bench', 'bob']);
  const file = await randomFile(dir, 'bench.bin', sizeMb);
  await ok(alice, ['upload_file', file.path, 'bench']);
  const seed = alice.start(['seed']);
  await seed.waitFor(/serving/);
  const fileId = JSON.parse(await ok(alice, ['list_files', 'bench', '--json'])).data[0].fileId as string;

  if (only.has('browser')) {
    log(`# 1. command line → browser, ${sizeMb} MiB: raw node-datachannel → Chromium vs meshdrop seed → browser download`);
    const leecher = await launchPerson(t, 'carol');
    await openSession(leecher, tracker.httpUrl, { userId: 'carol' });
    await leecher.page.evaluate(() => window.meshdropHarness.s().tracker.request('join_group', { groupId: 'bench' }));
    await ok(alice, ['accept_request', 'bench', 'carol']);
    const { pc, dc, offer } = await nodeOffer();
    const answer = await leecher.page.evaluate((o) => window.meshdropHarness.rawChannelBench.answer('raw', o as RTCSessionDescriptionInit), offer);
    await pc.setRemoteDescription(answer);
    const channel = await dc;
    log('raw channel open');
    const received = leecher.page.evaluate((n) => window.meshdropHarness.rawChannelBench.receive('raw', n), sizeMb * MiB);
    await rawSend(channel, sizeMb * MiB);
    const raw = await received;
    pc.close();
    const rawRate = sizeMb / (raw.ms / 1000);
    log(`raw done: ${round(rawRate)} MB/s`);
    const ms = await timedDownload(leecher, fileId);
    const rate = sizeMb / (ms / 1000);
    log(`raw node→chromium ${round(rawRate)} MB/s; meshdrop cli→browser ${round(rate)} MB/s; ratio ${round(rate / rawRate, 2)}`);
    Object.assign(result, { rawNodeToBrowserMBps: round(rawRate), cliToBrowserMBps: round(rate), cliToBrowserRatio: round(rate / rawRate, 2) });
    // Gone, so the next step measures one seeder: a browser still holding the file made it a two-seeder swarm.
    await leecher.context.close();
  }

  if (only.has('cli')) {
    log(`# 2. command line → command line, ${sizeMb} MiB: raw node-datachannel pair vs meshdrop seed → download_file`);
    const { pc: a, dc, offer } = await nodeOffer();
    const b = new RTCPeerConnection({ iceServers: [] });
    const got = new Promise<number>((resolve) => {
      b.ondatachannel = (ev) => {
        let bytes = 0;
        let start = 0;
        ev.channel.binaryType = 'arraybuffer';
        ev.channel.onmessage = (m) => {
          if (bytes === 0) start = performance.now();
          bytes += (m.data as ArrayBuffer).byteLength;
          if (bytes >= sizeMb * MiB) resolve(performance.now() - start);
        };
      };
    });
    await b.setRemoteDescription(offer);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(await gathered(b));
    await rawSend(await dc, sizeMb * MiB);
    const rawMs = await got;
    a.close();
    b.close();
    const rawRate = sizeMb / (rawMs / 1000);
    const baseline = await timed(bob, ['list_files', 'bench']);
    const out = join(bob.home, 'out');
    await mkdir(out, { recursive: true });
    const total = await timed(bob, ['download_file', 'bench', 'bench.bin', out]);
    const rate = sizeMb / ((total - baseline) / 1000);
    const same = createHash('sha1').update(await readFile(join(out, 'bench.bin'))).digest('hex') === file.sha1;
    log(`raw node↔node ${round(rawRate)} MB/s; meshdrop cli→cli ${round(rate)} MB/s (command ${round(total)} ms − start-up ${round(baseline)} ms); ratio ${round(rate / rawRate, 2)}; byte-exact ${same}`);
    Object.assign(result, { rawNodeToNodeMBps: round(rawRate), cliToCliMBps: round(rate), cliToCliRatio: round(rate / rawRate, 2) });
    await rm(join(out, 'bench.bin'));
  }

  if (only.has('rss')) {
    log(`# 3. RSS of a meshdrop process downloading ${bigMb} MiB`);
    const big = await randomFile(dir, 'big.bin', bigMb);
    await ok(alice, ['upload_file', big.path, 'bench']);
    await seed.waitFor(/serving big\.bin/, 120_000);
    const dest = join(bob.home, 'big.bin');
    const p = bob.start(['download_file', 'bench', 'big.bin', dest]);
    let peak = 0;
    const sample = setInterval(async () => {
      const status = await readFile(`/proc/${p.child.pid}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    }, 100);
    const t0 = performance.now();
    await p.exited;
    clearInterval(sample);
    const ms = performance.now() - t0;
    log(`peak RSS ${round(peak / MiB)} MiB downloading ${bigMb} MiB at ${round(bigMb / (ms / 1000))} MB/s`);
    Object.assign(result, { bigPeakRssMiB: round(peak / MiB), bigMBps: round(bigMb / (ms / 1000)) });
  }
  seed.child.kill('SIGTERM');
  await seed.exited;
} finally {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
console.log(JSON.stringify(result));
process.exit(0);
