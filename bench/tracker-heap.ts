/**
 * What an idle peer costs a tracker, object by object (issue 12 item 2's
 * memory figure): `npx tsx bench/tracker-heap.ts [--side md|bt] [--peers N]`.
 * Starts the tracker as bench/tracker.ts does, writes a heap snapshot before
 * and after N peers of bench/lib/tracker-peers.ts connect (SIGUSR2, node's
 * --heapsnapshot-signal; a snapshot holds only what a full GC keeps), and
 * prints the difference per constructor: count and bytes per peer, biggest
 * first. The last line is one JSON object.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientSpec } from './lib/loadgen.ts';
import { Generator, split, TrackerProcess } from './lib/procs.ts';
import { benchScratch } from './lib/scratch.ts';

const { values: flags } = parseArgs({
  options: {
    side: { type: 'string', default: 'md' },
    peers: { type: 'string', default: '1000' },
    swarms: { type: 'string', default: '100' },
    top: { type: 'string', default: '30' },
  },
});
const SIDE = flags.side as 'md' | 'bt';
const PEERS = Number(flags.peers);
const SWARMS = Number(flags.swarms);
const PER_SWARM = PEERS / SWARMS;
const PEERS_GEN = fileURLToPath(new URL('./lib/tracker-peers.ts', import.meta.url));
const BT_MAIN = fileURLToPath(new URL('./lib/bt-tracker-main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { dataDir, started, cleanup } = await benchScratch('meshdrop-bench-heap-');
const snapDir = join(dataDir, 'snapshots');

let specs: ClientSpec[] | undefined;
if (SIDE === 'md') {
  const t = await TrackerProcess.start({ dataDir, scryptN: 16 });
  const gens = [new Generator(0), new Generator(1)];
  const groups = Array.from({ length: SWARMS }, (_, g) => g);
  const parts = await Promise.all(
    split(groups, 2).map((gs, i) => gens[i]!.call<ClientSpec[]>({ cmd: 'setup', url: t.wsUrl, groups: gs, membersPerGroup: PER_SWARM, filesPerGroup: 1, localAddress: gens[i]!.localAddress })),
  );
  specs = parts.flat();
  for (const g of gens) await g.stop();
  await t.stop();
}

const t = await TrackerProcess.start({
  dataDir,
  scryptN: 16,
  nodeFlags: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`],
  ...(SIDE === 'bt' ? { script: [BT_MAIN] } : {}),
});
started.push(t);
const { mkdirSync } = await import('node:fs');
mkdirSync(snapDir, { recursive: true });

const memory: object[] = [];
async function snapshot(): Promise<string> {
  const before = new Set(readdirSync(snapDir));
  const m = await t.gcStats();
  memory.push({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, ...(m as unknown as { spaces: object }).spaces });
  process.kill(t.pid, 'SIGUSR2');
  for (;;) {
    await sleep(200);
    const fresh = readdirSync(snapDir).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (fresh.length) {
      const file = join(snapDir, fresh[0]!);
      // Written when its JSON closes.
      for (;;) {
        const text = readFileSync(file, 'utf8');
        if (text.trimEnd().endsWith('}')) {
          try {
            JSON.parse(text);
            return file;
          } catch {
            /* still being written */
          }
        }
        await sleep(200);
      }
    }
  }
}

/** Self bytes and count per "type:name" of a snapshot. */
function tally(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const nf = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  const nodes: number[] = snap.nodes;
  for (let i = 0; i < nodes.length; i += nf) {
    const type = types[nodes[i + iType]!]!;
    let name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[nodes[i + iName]!] : '';
    if (type === 'closure') name = `closure ${name}`;
    const key = `${type}:${String(name).slice(0, 60)}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

const g = new Generator(0, PEERS_GEN);
started.push(g);
await sleep(500);
const a = await snapshot();
const { connected } = await g.call<{ connected: number }>({
  cmd: 'connect', side: SIDE, url: t.wsUrl, swarms: SWARMS, peersPerSwarm: PER_SWARM, fanout: 5, sdpBytes: 400, ...(specs ? { md: specs } : {}), localAddress: g.localAddress,
});
await sleep(1000);
if (process.env.SETTLE_MS) {
  const m = await t.gcStats();
  console.log('right after connecting:', JSON.stringify({ rss: m.rss, ...(m as unknown as { spaces: object }).spaces }));
  await sleep(Number(process.env.SETTLE_MS));
}
const b = await snapshot();
const ta = tally(a);
const tb = tally(b);
const rows = [...tb].map(([k, v]) => {
  const o = ta.get(k) ?? { count: 0, bytes: 0 };
  return { what: k, perPeer: (v.count - o.count) / connected, bytesPerPeer: (v.bytes - o.bytes) / connected };
}).sort((x, y) => y.bytesPerPeer - x.bytesPerPeer);
const total = rows.reduce((n, r) => n + r.bytesPerPeer, 0);
console.log(`${SIDE}: ${connected} idle peers; heap snapshot difference ${(total / 1024).toFixed(2)} KiB per peer`);
console.log('memory (before, after):', JSON.stringify(memory));
for (const r of rows.slice(0, Number(flags.top))) console.log(`${r.bytesPerPeer.toFixed(0).padStart(6)} B  ${r.perPeer.toFixed(2).padStart(6)} × ${r.what}`);
await g.call({ cmd: 'close' });
if (process.env.KEEP_SNAPSHOTS) console.log(`snapshots: ${a} ${b}`);
else await cleanup();
console.log(JSON.stringify({ side: SIDE, peers: connected, bytesPerPeer: Math.round(total), top: rows.slice(0, Number(flags.top)).map((r) => ({ ...r, bytesPerPeer: Math.round(r.bytesPerPeer) })) }));
process.exit(0);
