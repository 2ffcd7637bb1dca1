/**
 * Swarms that multiply (issue 12 item 3): one seeder capped at R, eight
 * downloaders starting together, each capped at R as well (download and
 * upload), against one downloader alone from the same seeder, in the same
 * run, phases alternating. Prints the time until all eight finish against
 * the time one alone takes, and the seeder's upload during the eight against
 * the file size. Targets: ≤ 1.5× the time of one, ≤ 2× the file size.
 *
 * Every peer is a process of its own running the client core over the
 * command line's WebRTC (node-datachannel, the same connector, wire and
 * swarm logic as a browser; bench/lib/swarm-peer.ts), pieces in memory: nine
 * Chromium pages would measure two starved cores, not the swarm. R is kept
 * low enough (1 MiB/s by default) that CPU is not what limits it.
 *
 *   npm run bench -- swarm [--mb 24] [--rate-mb 1] [--downloaders 8] [--runs 1] [--uncapped-upload]
 *
 * `--uncapped-upload` caps only the downloaders' download.
 *
 * Prints figures; the last line is one JSON object.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestTracker } from '../tests/helpers/tracker.ts';
import { median, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string' }, 'rate-mb': { type: 'string' }, downloaders: { type: 'string' }, runs: { type: 'string' }, 'uncapped-upload': { type: 'boolean', default: false } },
});
const MiB = 1024 * 1024;
const mb = Number(values.mb ?? 24);
const rate = Number(values['rate-mb'] ?? 1) * MiB;
const count = Number(values.downloaders ?? 8);
const runs = Number(values.runs ?? 1);
/** The downloaders' upload left uncapped (their download is capped at R either way). */
const uncappedUpload = values['uncapped-upload']!;
const TARGET_TIME = 1.5;
const TARGET_UPLOAD = 2;
const PEER = fileURLToPath(new URL('./lib/swarm-peer.ts', import.meta.url));
const log = (line: string) => console.log(line);

const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };

/** A peer process and its IPC calls. */
class Peer {
  #seq = 0;
  #waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.ready = new Promise((resolve) => {
      child.on('message', (m: { ready?: boolean; id: number; ok: boolean; result?: unknown; error?: string }) => {
        if (m.ready) return resolve();
        const w = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.ok) w?.resolve(m.result);
        else w?.reject(new Error(`${name}: ${m.error}`));
      });
    });
  }
  static start(name: string): Peer {
    const child = fork(PEER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return new Peer(name, child);
  }
  call<T = any>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.child.send({ id, cmd, ...args });
    });
  }
}

const result: Record<string, unknown> = { mb, rateMiBps: rate / MiB, downloaders: count, runs, downloaderUpload: uncappedUpload ? 'uncapped' : 'capped at R', peers: 'node-datachannel processes (client core, command-line WebRTC)' };
try {
  const tracker = await startTestTracker(t);
  const seeder = Peer.start('seed');
  const downloaders = Array.from({ length: count }, (_, i) => Peer.start(`d${i + 1}`));
  await Promise.all([seeder, ...downloaders].map((p) => p.ready));
  await seeder.call('login', { url: tracker.wsUrl, userId: 'seed', limits: { uploadBytesPerSecond: rate } });
  await Promise.all(downloaders.map((d) => d.call('login', { url: tracker.wsUrl, userId: d.name, limits: { uploadBytesPerSecond: uncappedUpload ? 0 : rate, downloadBytesPerSecond: rate } })));
  await seeder.call('request', { type: 'create_group', body: { groupId: 'swarm' } });
  const { token } = await seeder.call('request', { type: 'create_invite', body: { groupId: 'swarm' } });
  for (const d of downloaders) await d.call('request', { type: 'join_group', body: { groupId: 'swarm', invite: token } });
  const { fileId } = await seeder.call<{ fileId: string }>('share', { mb, groupId: 'swarm' });
  const size = mb * MiB;
  log(`# one seeder capped at ${rate / MiB} MiB/s; ${count} downloaders capped at ${rate / MiB} MiB/s (${uncappedUpload ? 'down; upload uncapped' : 'down and up'}) vs one alone; ${mb} MiB; ${runs} run(s)`);
  log(`# peers: ${result.peers}`);

  const seederUp = async () => (await seeder.call<{ uploaded: number }>('info', { fileId })).uploaded;
  /** Downloads with `peers` at once; the time until the last finishes and what the seeder sent meanwhile. Then they forget the file. */
  async function phase(peers: Peer[]): Promise<{ ms: number; seederBytes: number; each: number[] }> {
    const up0 = await seederUp();
    const done = await Promise.all(peers.map((p) => p.call<{ startedAt: number; doneAt: number }>('download', { fileId })));
    const seederBytes = (await seederUp()) - up0;
    const infos = await Promise.all(peers.map((p) => p.call<{ peers: { userId: string; downloaded: number }[] }>('info', { fileId })));
    const fromSeeder = infos.map((i) => i.peers.filter((x) => x.userId === 'seed').reduce((n, x) => n + x.downloaded, 0));
    if (peers.length > 1) {
      log(`  from the seeder, each (MiB): ${fromSeeder.map((b) => round(b / MiB, 1)).join(', ')}`);
      log(`  peers each took blocks from: ${infos.map((i) => new Set(i.peers.filter((x) => x.downloaded > 0).map((x) => x.userId)).size).join(', ')}`);
    }
    const start = Math.min(...done.map((d) => d.startedAt));
    await Promise.all(peers.map((p) => p.call('remove', { fileId })));
    // Links close and the tracker forgets them as holders before the next phase.
    await new Promise((r) => setTimeout(r, 1500));
    return { ms: Math.max(...done.map((d) => d.doneAt)) - start, seederBytes, each: done.map((d) => d.doneAt - start) };
  }

  const ones: number[] = [];
  const alls: number[] = [];
  const ratios: number[] = [];
  const uploads: number[] = [];
  for (let run = 0; run < runs; run++) {
    const one = await phase([downloaders[0]!]);
    const all = await phase(downloaders);
    const ratio = all.ms / one.ms;
    const upload = all.seederBytes / size;
    ones.push(one.ms / 1000);
    alls.push(all.ms / 1000);
    ratios.push(ratio);
    uploads.push(upload);
    log(
      `run ${run + 1}: one alone ${round(one.ms / 1000, 1)} s; all ${count} ${round(all.ms / 1000, 1)} s (each ${all.each.map((x) => round(x / 1000, 1)).join(', ')}); ` +
        `ratio ${round(ratio, 2)} (target ≤ ${TARGET_TIME}); seeder uploaded ${round(upload, 2)}× the file for ${count} (target ≤ ${TARGET_UPLOAD}; alone ${round(one.seederBytes / size, 2)}×)`,
    );
  }
  const ratio = median(ratios);
  const upload = median(uploads);
  log(`${count} downloaders vs one: ${round(ratio, 2)}× the time (target ≤ ${TARGET_TIME} ${ratio <= TARGET_TIME ? '✔' : '✘'}), seeder upload ${round(upload, 2)}× the file (target ≤ ${TARGET_UPLOAD} ${upload <= TARGET_UPLOAD ? '✔' : '✘'})`);
  Object.assign(result, { oneAloneS: round(median(ones), 2), allS: round(median(alls), 2), timeRatio: round(ratio, 2), timeRatioTarget: TARGET_TIME, seederUploadCopies: round(upload, 2), seederUploadTarget: TARGET_UPLOAD, ratios: ratios.map((r) => round(r, 2)), uploads: uploads.map((u) => round(u, 2)) });
  await Promise.all([seeder, ...downloaders].map((p) => p.call('exit').catch(() => undefined)));
} finally {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
console.log(JSON.stringify(result));
process.exit(0);
