/**
 * GET /metrics with a large state (issue 8 item 14): 200 maximum-size file
 * records (16,384 piece hashes each, ~140 MB of metadata) on a real tracker.
 * Figures: the first GET (cold: every file's metadata hashed once), repeated
 * GETs (cached), a GET after one small write (the digest recomputed from
 * cached metadata hashes), the old whole-state JSON digest on the same state
 * for comparison, and an honest user's write latency while three loops GET
 * /metrics as fast as they can. Also what one maximum-size upload costs the
 * tracker to parse and verify.
 *
 *   npm run bench -- metrics [--files 200] [--gets 20] [--writes 50]
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { TrackerClient } from '../client/tracker.ts';
import type { SocketLike } from '../client/ports.ts';
import { MAX_FILE_BYTES, MAX_PIECES, PIECE_SIZE } from '../protocol/constants.ts';
import { fileIdOf } from '../protocol/files.ts';
import { parseRequest, type FileMeta } from '../protocol/tracker.ts';
import { serverFileIdOf } from '../tracker-server/handlers/files.ts';
import { DEFAULT_QUOTAS } from '../tracker-server/quotas.ts';
import { startTracker } from '../tracker-server/server.ts';
import { canonicalState, stateDigest } from '../tracker-server/state/digest.ts';
import { median, percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '200' }, gets: { type: 'string', default: '20' }, writes: { type: 'string', default: '50' } },
});
const files = Number(values.files);
const gets = Number(values.gets);
const writes = Number(values.writes);

const bigMeta = (groupId: string, n: number): FileMeta => ({
  groupId,
  name: `big-${n}.bin`,
  size: MAX_FILE_BYTES,
  pieceSize: PIECE_SIZE,
  pieceHashes: Array.from({ length: MAX_PIECES }, (_, i) => createHash('sha1').update(`${n}:${i}`).digest('hex')),
});

const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
};

const dataDir = await mkdtemp(join(tmpdir(), 'meshdrop-bench-metrics-'));
const tracker = await startTracker({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  trackerId: 'bench',
  publicUrls: [],
  iceServers: [],
  scrypt: { N: 1024, r: 8, p: 1 },
  snapshotEvery: Number.MAX_SAFE_INTEGER,
  webDir: join(dataDir, 'no-web'),
  // The bench builds a state far over the default quotas on purpose.
  quotas: { ...DEFAULT_QUOTAS, groupsPerUser: 1000 + writes, filesPerUser: files, filesPerGroup: files, hashesPerUser: files * MAX_PIECES, hashesPerGroup: files * MAX_PIECES, hashesPerUserPerDay: files * MAX_PIECES },
});
const client = new TrackerClient({ urls: [tracker.wsUrl], createSocket: (url) => new WebSocket(url) as unknown as SocketLike, requestTimeoutMs: 60_000 });
try {
  await client.connect();
  await client.request('create_user', { userId: 'ann', password: 'password1' });
  await client.login('ann', 'password1');
  await client.request('create_group', { groupId: 'big' });
  const uploadMs: number[] = [];
  for (let n = 0; n < files; n++) {
    const meta = bigMeta('big', n);
    uploadMs.push((await timed(() => client.request('upload_file', { fileId: fileIdOf(meta), meta }))).ms);
  }
  console.log(`${files} files of ${MAX_PIECES} hashes shared; upload round trip median ${round(median(uploadMs))} ms`);

  const metrics = async () => {
    const res = await fetch(`${tracker.httpUrl}/metrics`);
    return (await res.json()) as { digest: string; digestComputations: number };
  };
  const cold = await timed(metrics);
  const afterWriteMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    await client.request('create_group', { groupId: `w${i}` });
    afterWriteMs.push((await timed(metrics)).ms);
  }
  const cachedMs: number[] = [];
  for (let i = 0; i < gets; i++) cachedMs.push((await timed(metrics)).ms);
  const final = await metrics();
  if (final.digestComputations !== 1 + 5) throw new Error(`expected 6 digest computations, got ${final.digestComputations}`);

  // An honest user's writes while three loops hammer /metrics.
  let hammering = true;
  let hammered = 0;
  let hammerErrors = 0;
  const loops = Array.from({ length: 3 }, async () => {
    while (hammering) {
      // An error is counted, not fatal: the figure is the writer's latency.
      await metrics().then(
        () => hammered++,
        () => hammerErrors++,
      );
    }
  });
  const writeMs: number[] = [];
  for (let i = 0; i < writes; i++) writeMs.push((await timed(() => client.request('create_group', { groupId: `h${i}` }))).ms);
  hammering = false;
  await Promise.all(loops);

  // The old digest (one JSON string of the whole state), on the same state, in-process
  // (last: it blocks the tracker, and idle keep-alive sockets can be reset after it).
  const oldStart = performance.now();
  createHash('sha256').update(JSON.stringify(canonicalState(tracker.core.state))).digest('hex');
  const oldMs = performance.now() - oldStart;

  // In-process, without HTTP: a digest from cached metadata hashes (what every GET after a write costs).
  const digestStart = performance.now();
  for (let i = 0; i < 5; i++) stateDigest(tracker.core.state);
  const recomputeMs = (performance.now() - digestStart) / 5;

  // What one maximum-size upload costs the tracker before any handler logic.
  const meta = bigMeta('big', 1e6);
  const frame = JSON.stringify({ id: 'x', type: 'upload_file', fileId: fileIdOf(meta), meta });
  const best = (fn: () => unknown) => {
    let b = Infinity;
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      fn();
      b = Math.min(b, performance.now() - s);
    }
    return b;
  };
  const parseMs = best(() => parseRequest(frame));
  const verifyPortableMs = best(() => fileIdOf(meta));
  const verifyNativeMs = best(() => serverFileIdOf(meta));

  const result = {
    files,
    metricsColdMs: round(cold.ms),
    metricsCachedMedianMs: round(median(cachedMs), 2),
    metricsAfterWriteMedianMs: round(median(afterWriteMs), 2),
    oldWholeStateDigestMs: round(oldMs),
    digestFromCachedMetaMs: round(recomputeMs, 2),
    writeUnderMetricsLoopsMedianMs: round(median(writeMs), 2),
    writeUnderMetricsLoopsP99Ms: round(percentile(writeMs, 99), 2),
    metricsGetsDuringWrites: hammered,
    metricsGetErrors: hammerErrors,
    maxUploadParseMs: round(parseMs, 2),
    maxUploadVerifyPortableMs: round(verifyPortableMs, 2),
    maxUploadVerifyNativeMs: round(verifyNativeMs, 2),
  };
  console.log(`GET /metrics: cold ${result.metricsColdMs} ms, cached ${result.metricsCachedMedianMs} ms, after a write ${result.metricsAfterWriteMedianMs} ms (old whole-state digest ${result.oldWholeStateDigestMs} ms; in-process digest from cached metadata hashes ${result.digestFromCachedMetaMs} ms)`);
  console.log(`a write while 3 loops GET /metrics: median ${result.writeUnderMetricsLoopsMedianMs} ms, p99 ${result.writeUnderMetricsLoopsP99Ms} ms (${hammered} GETs)`);
  console.log(`one ${MAX_PIECES}-hash upload: parse ${result.maxUploadParseMs} ms, verify id ${result.maxUploadVerifyPortableMs} ms portable / ${result.maxUploadVerifyNativeMs} ms native`);
  console.log(JSON.stringify(result));
} finally {
  await client.close();
  await tracker.close();
  await rm(dataDir, { recursive: true, force: true });
}
