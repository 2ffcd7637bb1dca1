/**
 * WebRTC through real NATs (the topology of tests/nat, tests/helpers/netns.ts:
 * network namespaces, iptables NAT routers, the tracker and coturn on a
 * public segment, Chromium in each home), everything in one run so the
 * ratios hold on a noisy machine:
 *
 * 1. Connection set-up time, p50/p95 over N connections, for a direct path
 *    (two cone NATs, the tracker's own STUN) and a relayed one (a cone and a
 *    symmetric NAT, STUN + coturn with a TURN REST credential). Set-up is
 *    measured from the offer's creation to the data channel open on both
 *    sides; each description carries all its candidates (gathering included:
 *    the STUN and TURN round trips are part of what a user waits for), the
 *    signals pass through this process. Each connection's selected pair is
 *    checked: direct has no relay candidate, relayed has one.
 * 2. Throughput of one data channel over each path, against a raw data
 *    channel between two Chromium processes on the machine's own interface
 *    (no namespace, no NAT, no ICE server).
 *
 *   npx vite build && npm run build:test && npm run bench -- nat [--connections 20] [--mb 32]
 *
 * Needs root, iproute2, iptables and coturn (as the tests do). Prints
 * figures; the last line is one JSON object with every figure.
 */
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { launchPerson, type Person } from '../tests/helpers/browser.ts';
import { NatTopology, PUBLIC_IP, TRACKER_PORT, type NatKind } from '../tests/helpers/netns.ts';
import { turnIceServers } from '../tracker-server/turn-credentials.ts';
import { percentile, round } from './lib/stats.ts';

const { values } = parseArgs({ options: { connections: { type: 'string' }, mb: { type: 'string' } } });
const CONNECTIONS = Number(values.connections ?? 20);
const MB = Number(values.mb ?? 32);
const TOTAL = MB * 1024 * 1024;
const BLOCK = 64 * 1024;
const SECRET = 'bench-nat-turn-secret-0123456789';

const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };
async function teardown(): Promise<void> {
  for (const fn of teardowns.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
const log = (line: string) => console.log(line);

type Ice = RTCIceServer[];
interface Pair {
  local: string;
  remote: string;
}

declare global {
  interface Window {
    natBench: ReturnType<typeof benchInPage>;
  }
}

/** What runs in each page: raw RTCPeerConnection + RTCDataChannel, no Meshdrop code. */
function benchInPage() {
  const pcs = new Map<string, { pc: RTCPeerConnection; channel: Promise<RTCDataChannel> }>();
  const gathered = async (pc: RTCPeerConnection) => {
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
    }
    return pc.localDescription!.toJSON();
  };
  return {
    async offer(id: string, iceServers: RTCIceServer[]) {
      const pc = new RTCPeerConnection({ iceServers });
      const dc = pc.createDataChannel('bench', { ordered: true });
      dc.binaryType = 'arraybuffer';
      pcs.set(id, { pc, channel: new Promise((resolve) => (dc.onopen = () => resolve(dc))) });
      await pc.setLocalDescription(await pc.createOffer());
      return gathered(pc);
    },
    async answer(id: string, offer: RTCSessionDescriptionInit, iceServers: RTCIceServer[]) {
      const pc = new RTCPeerConnection({ iceServers });
      const channel = new Promise<RTCDataChannel>((resolve) => {
        pc.ondatachannel = (ev) => {
          ev.channel.binaryType = 'arraybuffer';
          if (ev.channel.readyState === 'open') resolve(ev.channel);
          else ev.channel.onopen = () => resolve(ev.channel);
        };
      });
      pcs.set(id, { pc, channel });
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      return gathered(pc);
    },
    async accept(id: string, answer: RTCSessionDescriptionInit) {
      await pcs.get(id)!.pc.setRemoteDescription(answer);
    },
    async opened(id: string) {
      await pcs.get(id)!.channel;
    },
    async pair(id: string) {
      const stats = await pcs.get(id)!.pc.getStats();
      let pairId: string | undefined;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      const pair = pairId ? stats.get(pairId) : undefined;
      return { local: String(stats.get(pair?.localCandidateId)?.candidateType), remote: String(stats.get(pair?.remoteCandidateId)?.candidateType) };
    },
    async receive(id: string, total: number) {
      const dc = await pcs.get(id)!.channel;
      return new Promise<number>((resolve) => {
        let bytes = 0;
        dc.onmessage = (ev) => {
          bytes += (ev.data as ArrayBuffer).byteLength;
          if (bytes >= total) {
            dc.send('done');
            resolve(bytes);
          }
        };
      });
    },
    /** Sends `total` bytes in `block`-byte messages, waiting on bufferedamountlow, until the receiver says done. */
    async send(id: string, total: number, block: number) {
      const dc = await pcs.get(id)!.channel;
      const data = new Uint8Array(block);
      crypto.getRandomValues(data);
      dc.bufferedAmountLowThreshold = 256 * 1024;
      const done = new Promise<void>((resolve) => (dc.onmessage = () => resolve()));
      for (let sent = 0; sent < total; sent += block) {
        if (dc.bufferedAmount > 1024 * 1024) await new Promise<void>((resolve) => dc.addEventListener('bufferedamountlow', () => resolve(), { once: true }));
        dc.send(data.subarray(0, Math.min(block, total - sent)));
      }
      await done;
    },
    close(id: string) {
      pcs.get(id)?.pc.close();
      pcs.delete(id);
    },
  };
}

async function install(person: Person, url: string): Promise<void> {
  await person.open(url);
  await person.page.evaluate(`window.natBench = (${benchInPage.toString()})()`);
}

/** One connection from a to b: the set-up time, and the pair it selected. */
async function connect(a: Person, b: Person, id: string, iceA: Ice, iceB: Ice): Promise<{ ms: number; pair: Pair }> {
  const start = performance.now();
  const offer = await a.page.evaluate(([i, ice]) => window.natBench.offer(i as string, ice as Ice), [id, iceA] as const);
  const answer = await b.page.evaluate(([i, o, ice]) => window.natBench.answer(i as string, o as RTCSessionDescriptionInit, ice as Ice), [id, offer, iceB] as const);
  await a.page.evaluate(([i, ans]) => window.natBench.accept(i as string, ans as RTCSessionDescriptionInit), [id, answer] as const);
  await Promise.all([a.page.evaluate((i) => window.natBench.opened(i), id), b.page.evaluate((i) => window.natBench.opened(i), id)]);
  const ms = performance.now() - start;
  return { ms, pair: await b.page.evaluate((i) => window.natBench.pair(i), id) };
}

/** MB/s of one channel from a to b over `TOTAL` bytes. */
async function throughput(a: Person, b: Person, id: string): Promise<number> {
  const start = performance.now();
  await Promise.all([
    b.page.evaluate(([i, n]) => window.natBench.receive(i as string, n as number), [id, TOTAL] as const),
    a.page.evaluate(([i, n, s]) => window.natBench.send(i as string, n as number, s as number), [id, TOTAL, BLOCK] as const),
  ]);
  return TOTAL / 1e6 / ((performance.now() - start) / 1000);
}

interface PathFigures {
  setupP50Ms: number;
  setupP95Ms: number;
  setupMs: number[];
  pairs: Record<string, number>;
  throughputMBps: number;
}

async function measurePath(label: string, kinds: { a: NatKind; b: NatKind }, withTurn: boolean): Promise<PathFigures> {
  const topo = await NatTopology.create(t, kinds);
  const turnUrls: string[] = [];
  if (withTurn) turnUrls.push((await topo.startCoturn(SECRET)).url);
  const tracker = await topo.startTracker(withTurn ? ['--turn-url', turnUrls[0]!, '--turn-secret', SECRET] : []);
  // What hello and a login hand a browser: the tracker's own STUN, and a TURN credential per user when configured.
  const stun = { urls: `stun:${PUBLIC_IP}:${TRACKER_PORT}` };
  const ice = (user: string): Ice => [stun, ...(withTurn ? turnIceServers({ urls: turnUrls, secret: SECRET, ttlMs: 3600_000 }, user, Date.now()) : [])];
  const alice = await topo.launchPerson(topo.a, 'alice', tracker.httpUrl);
  const bob = await topo.launchPerson(topo.b, 'bob', tracker.httpUrl);
  await install(alice, `${tracker.httpUrl}/`);
  await install(bob, `${tracker.httpUrl}/`);

  const setupMs: number[] = [];
  const pairs: Record<string, number> = {};
  for (let i = 0; i < CONNECTIONS; i++) {
    const id = `${label}-${i}`;
    const { ms, pair } = await connect(alice, bob, id, ice('alice'), ice('bob'));
    const relayed = pair.local === 'relay' || pair.remote === 'relay';
    assert.equal(relayed, withTurn, `${label}: connection ${i} selected ${JSON.stringify(pair)}`);
    setupMs.push(round(ms));
    const key = `${pair.local}->${pair.remote}`;
    pairs[key] = (pairs[key] ?? 0) + 1;
    await alice.page.evaluate((x) => window.natBench.close(x), id);
    await bob.page.evaluate((x) => window.natBench.close(x), id);
  }
  const p50 = percentile(setupMs, 50);
  const p95 = percentile(setupMs, 95);
  log(`${label}: set-up p50 ${round(p50)} ms, p95 ${round(p95)} ms over ${CONNECTIONS} connections; pairs (Bob's side) ${JSON.stringify(pairs)}`);

  await connect(alice, bob, `${label}-tp`, ice('alice'), ice('bob'));
  const mbps = await throughput(alice, bob, `${label}-tp`);
  log(`${label}: throughput ${round(mbps, 2)} MB/s (${MB} MiB, one channel)`);
  await teardown();
  return { setupP50Ms: round(p50), setupP95Ms: round(p95), setupMs, pairs, throughputMBps: round(mbps, 2) };
}

async function measureLocal(): Promise<number> {
  const a = await launchPerson(t, 'local-a');
  const b = await launchPerson(t, 'local-b');
  await install(a, 'about:blank');
  await install(b, 'about:blank');
  await connect(a, b, 'local', [], []);
  const mbps = await throughput(a, b, 'local');
  log(`local (machine's own interface, no NAT): throughput ${round(mbps, 2)} MB/s (${MB} MiB, one channel)`);
  await teardown();
  return round(mbps, 2);
}

try {
  log(`# WebRTC through real NATs: ${CONNECTIONS} connections per path, ${MB} MiB per throughput run`);
  const direct = await measurePath('direct (cone + cone, STUN)', { a: 'cone', b: 'cone' }, false);
  const relayed = await measurePath('relayed (cone + symmetric, STUN + coturn)', { a: 'cone', b: 'symmetric' }, true);
  const localMBps = await measureLocal();
  log(`throughput: direct ${direct.throughputMBps}, relayed ${relayed.throughputMBps}, local raw ${localMBps} MB/s; relayed/direct ${round(relayed.throughputMBps / direct.throughputMBps, 2)}, direct/local ${round(direct.throughputMBps / localMBps, 2)}`);
  console.log(JSON.stringify({ bench: 'nat', connections: CONNECTIONS, mb: MB, direct, relayed, localRawMBps: localMBps }));
} finally {
  await teardown();
}
