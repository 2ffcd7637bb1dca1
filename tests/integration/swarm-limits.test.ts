/**
 * Per-client rate caps (token buckets, settable while running) and the cap
 * on connections per file. Caps are checked as lower bounds on time or upper
 * bounds on bytes, which a slow machine cannot break.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const MiB = 1024 * 1024;

async function pair(t: Parameters<typeof startTestTracker>[0], seederLimits = {}, downloaderLimits = {}, size = 8 * PIECE_SIZE) {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network, { limits: seederLimits });
  const b = await memoryEngine(t, bob!, network, { limits: downloaderLimits });
  const bytes = new Uint8Array(randomBytes(size));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'f.bin', size, groupId: 'team', keep: 'original' });
  return { a, b, bytes, fileId };
}

test('an upload cap holds the seeder to its rate', async (t) => {
  const rate = 2 * MiB;
  const { a, b, bytes, fileId } = await pair(t, { uploadBytesPerSecond: rate });
  assert.equal(a.engine.limits.uploadBytesPerSecond, rate);
  const started = Date.now();
  await b.engine.download(fileId);
  await b.engine.whenComplete(fileId);
  const seconds = (Date.now() - started) / 1000;
  // The bucket starts full (a quarter second of rate); the rest must wait its turn.
  const floor = (bytes.length - rate / 4 - 64 * 1024) / rate;
  assert.ok(seconds >= floor, `${bytes.length} bytes at ${rate} B/s took ${seconds.toFixed(2)} s, under the floor of ${floor.toFixed(2)} s`);
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));
});

test('a download cap holds the downloader to its rate, and raising it takes effect at once', async (t) => {
  const rate = 256 * 1024;
  const { b, bytes, fileId } = await pair(t, {}, { downloadBytesPerSecond: rate });
  const started = Date.now();
  await b.engine.download(fileId);
  await new Promise((r) => setTimeout(r, 1000));
  const elapsed = (Date.now() - started) / 1000;
  const got = b.engine.info(fileId)!.downloaded;
  // Requests are paid for before they are sent: burst + rate × time + one block of debt.
  const ceiling = rate / 4 + rate * elapsed + 64 * 1024;
  assert.ok(got > 0, 'it does download');
  assert.ok(got <= ceiling, `${got} bytes in ${elapsed.toFixed(2)} s at a cap of ${rate} B/s (ceiling ${ceiling})`);
  b.engine.setLimits({ downloadBytesPerSecond: 0 }); // no cap
  assert.equal(b.engine.limits.downloadBytesPerSecond, Infinity);
  await b.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));
});

test('connections per file are capped', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const clients = await groupOf(t, tracker.wsUrl, 'crew', ['s1', 's2', 's3', 's4', 'dl']);
  const bytes = new Uint8Array(randomBytes(12 * PIECE_SIZE));
  let fileId = '';
  for (const c of clients.slice(0, 4)) {
    const s = await memoryEngine(t, c, network, { limits: { uploadBytesPerSecond: 4 * MiB } });
    ({ fileId } = await s.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'x', size: bytes.length, groupId: 'crew', keep: 'original' }));
  }
  const d = await memoryEngine(t, clients[4]!, network, { limits: { maxPeersPerFile: 2 } });
  let most = 0;
  d.engine.on('changed', () => {
    most = Math.max(most, d.engine.info(fileId)?.peers.filter((p) => p.connected).length ?? 0);
  });
  await d.engine.download(fileId);
  await d.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(d.engine, fileId)), sha1(bytes));
  assert.equal(most, 2, 'two peers at most, and two were used');
  assert.equal(d.engine.info(fileId)!.peers.length, 2);
});

test('a peer at its connection cap says so, and the dialler gives up at once instead of timing out', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [seederClient, first, second] = await groupOf(t, tracker.wsUrl, 'crew', ['seeder', 'first', 'second']);
  const bytes = new Uint8Array(randomBytes(8 * PIECE_SIZE));
  // One connection at most, and slow, so the first downloader holds the only slot.
  const s = await memoryEngine(t, seederClient!, network, { limits: { maxPeersPerFile: 1, uploadBytesPerSecond: 256 * 1024 } });
  const { fileId } = await s.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'x', size: bytes.length, groupId: 'crew', keep: 'original' });
  const d1 = await memoryEngine(t, first!, network);
  await d1.engine.download(fileId);
  await eventually(() => assert.equal(s.engine.info(fileId)?.peers.filter((p) => p.connected).length, 1, 'the first took the slot'));

  const d2 = await memoryEngine(t, second!, network);
  const reasons: string[] = [];
  d2.engine.on('peer_closed', (e) => reasons.push(e.reason));
  await d2.engine.download(fileId);
  await eventually(() => assert.deepEqual(reasons.slice(0, 1), ['the peer is at its connection cap'], 'told, not left to time out'), 10_000);
  // The first download is unaffected and completes.
  await d1.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(d1.engine, fileId)), sha1(bytes));
});
