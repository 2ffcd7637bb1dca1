/**
 * Tracker start-up with 100,000 ops: from the op log as appended, and from a
 * snapshot (the history compacted into one file). Both data dirs hold the same ops, and
 * the two start-ups are timed alternately in one run so the ratio holds on a
 * noisy machine. Also checks both give the same state digest.
 *
 *   npm run bench -- startup [--ops 100000] [--runs 5]
 *
 * With --big-mb N instead: a log of N MB made of the largest file records
 * (16,384 piece hashes each, ~700 KB a line), past V8's ~512 MiB string
 * limit for N > 550, which a whole-file read cannot replay. Times the replay,
 * the snapshot a clean shutdown writes, and the start-up from that snapshot.
 *
 *   npm run bench -- startup --big-mb 600
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { PIECE_SIZE } from '../protocol/constants.ts';
import type { OpBody } from '../protocol/ops.ts';
import { OpLog } from '../tracker-server/store/oplog.ts';
import { Replica } from '../tracker-server/state/replica.ts';
import { stateDigest } from '../tracker-server/state/digest.ts';
import { TrackerCore } from '../tracker-server/core.ts';
import { median, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' }, 'big-mb': { type: 'string' } },
});
const total = Number(values.ops);
const runs = Number(values.runs);

/** A realistic mix: accounts, log-ins, groups, joins and admissions, files of 40 pieces. */
function* workload(n: number): Generator<OpBody> {
  const hash = 'ab'.repeat(20);
  let made = 0;
  for (let i = 0; made < n; i++) {
    const user = `u${i}`;
    const key = `bench:${made + 1}`;
    yield { kind: 'user_created', userId: user, salt: '00'.repeat(16), hash: `scrypt$32768$8$1$${'cd'.repeat(32)}` };
    yield { kind: 'session_opened', userId: user, userKey: key, tokenHash: hash.slice(0, 32) + String(i).padStart(32, '0') };
    made += 2;
    if (i % 10 === 0) {
      const groupId = `g${i}`;
      yield { kind: 'group_created', groupId, by: user, byKey: key };
      const groupKey = `bench:${made + 1}`;
      made++;
      const meta = { groupId, name: `file-${i}.bin`, size: 40 * PIECE_SIZE, pieceSize: PIECE_SIZE, pieceHashes: Array(40).fill(hash) };
      yield { kind: 'file_shared', groupKey, fileId: String(i).padStart(40, '0'), meta, by: user, byKey: key };
      made++;
    } else {
      const groupKey = `bench:${Math.floor(i / 10) * 10 * 2 + 3 + Math.floor(i / 10) * 2}`;
      yield { kind: 'join_requested', groupKey, by: user, byKey: key };
      made++;
    }
  }
}

async function buildDir(snapshot: boolean): Promise<{ dir: string; digest: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshdrop-startup-'));
  const { log } = await OpLog.open(dir);
  const replica = new Replica();
  let seq = 0;
  const pending: Promise<void>[] = [];
  for (const body of workload(total)) {
    const op = { ...body, origin: 'bench', seq: ++seq, hlc: 1_700_000_000_000_000 + seq } as never;
    replica.add(op);
    pending.push(log.append(op));
    if (seq >= total) break;
  }
  await Promise.all(pending);
  // The snapshot case: what a tracker has after its periodic snapshot, with a short tail after it.
  if (snapshot) await log.snapshot(replica.allOps());
  await log.close();
  return { dir, digest: stateDigest(replica.state) };
}

async function timeOpen(dir: string): Promise<{ ms: number; digest: string; ops: number }> {
  const start = performance.now();
  const { core } = await TrackerCore.open({
    trackerId: 'bench-reader',
    dataDir: dir,
    scrypt: { N: 1024, r: 8, p: 1 },
    iceServers: [],
    publicUrls: [],
    snapshotEvery: Number.MAX_SAFE_INTEGER,
  });
  const ms = performance.now() - start;
  const result = { ms, digest: stateDigest(core.state), ops: core.replica.size };
  await core.close().catch(() => undefined);
  return result;
}

/** The --big-mb run: see the header. */
async function bigLog(mb: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshdrop-startup-big-'));
  const path = join(dir, 'ops.1.log');
  const handle = await open(path, 'w');
  let seq = 0;
  let bytes = 0;
  while (bytes < mb * 1e6) {
    seq++;
    const hashes = Array.from({ length: 16_384 }, (_, i) => (seq * 16_384 + i).toString(16).padStart(40, '0'));
    const meta = { groupId: 'g', name: `big-${seq}.bin`, size: 16_384 * PIECE_SIZE, pieceSize: PIECE_SIZE, pieceHashes: hashes };
    const op = { kind: 'file_shared', groupKey: 'bench:1', fileId: String(seq).padStart(40, '0'), meta, by: 'u', byKey: 'bench:0', origin: 'bench', seq, hlc: 1_700_000_000_000_000 + seq };
    const line = Buffer.from(JSON.stringify(op) + '\n');
    await handle.write(line);
    bytes += line.length;
  }
  await handle.close();
  const config = { trackerId: 'bench-reader', dataDir: dir, scrypt: { N: 1024, r: 8, p: 1 }, iceServers: [], publicUrls: [], snapshotEvery: Number.MAX_SAFE_INTEGER };
  let start = performance.now();
  const { core } = await TrackerCore.open(config);
  const replayMs = performance.now() - start;
  if (core.replica.size !== seq) throw new Error(`replayed ${core.replica.size} of ${seq} ops`);
  start = performance.now();
  await core.close(); // writes the snapshot
  const snapshotWriteMs = performance.now() - start;
  const snapshotBytes = (await stat(join(dir, 'snapshot.json'))).size;
  start = performance.now();
  const { core: again } = await TrackerCore.open(config);
  const snapshotStartMs = performance.now() - start;
  if (again.replica.size !== seq) throw new Error(`the snapshot gave ${again.replica.size} of ${seq} ops`);
  await again.close();
  await rm(dir, { recursive: true, force: true });
  const figures = {
    bigLogBytes: bytes,
    ops: seq,
    startupBigLogReplayMs: round(replayMs),
    bigSnapshotWriteMs: round(snapshotWriteMs),
    bigSnapshotBytes: snapshotBytes,
    startupBigSnapshotMs: round(snapshotStartMs),
  };
  console.log(`a ${round(bytes / 1e6)} MB log of ${seq} file records: replay ${figures.startupBigLogReplayMs} ms, snapshot written in ${figures.bigSnapshotWriteMs} ms, start-up from it ${figures.startupBigSnapshotMs} ms`);
  console.log(JSON.stringify(figures));
}

if (values['big-mb'] !== undefined) {
  await bigLog(Number(values['big-mb']));
  process.exit(0);
}

const logOnly = await buildDir(false);
const withSnapshot = await buildDir(true);
if (logOnly.digest !== withSnapshot.digest) throw new Error('the two data dirs disagree');

const replayMs: number[] = [];
const snapshotMs: number[] = [];
for (let i = 0; i < runs; i++) {
  // TrackerCore.close writes a snapshot when the log has unsnapshotted ops; time a fresh copy each run.
  const a = await buildDir(false);
  const r = await timeOpen(a.dir);
  await rm(a.dir, { recursive: true, force: true });
  const s = await timeOpen(withSnapshot.dir);
  if (r.digest !== logOnly.digest || s.digest !== logOnly.digest || r.ops !== total || s.ops !== total) {
    throw new Error('start-up did not restore the same state');
  }
  replayMs.push(r.ms);
  snapshotMs.push(s.ms);
  console.log(`run ${i + 1}: replay whole log ${round(r.ms)} ms, from snapshot ${round(s.ms)} ms`);
}
await rm(logOnly.dir, { recursive: true, force: true });
await rm(withSnapshot.dir, { recursive: true, force: true });

const figures = {
  ops: total,
  runs,
  startupReplayMsMedian: round(median(replayMs)),
  startupSnapshotMsMedian: round(median(snapshotMs)),
  snapshotSpeedup: round(median(replayMs) / median(snapshotMs), 2),
};
console.log(`start-up with ${total} ops: replay ${figures.startupReplayMsMedian} ms, snapshot ${figures.startupSnapshotMsMedian} ms (median of ${runs}); ${figures.snapshotSpeedup}x`);
console.log(JSON.stringify(figures));
