/**
 * Two seeders, one downloader with a download limit, over real WebRTC
 * (node-datachannel) and a real tracker: under the limit both seeders serve
 * a fair share (issue 12: the second sat idle, 5–7 MB from it against
 * 27–28 MB from the first), and the limit holds (bytes against the limit,
 * with generous slack; never the test's own speed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { BLOCK_SIZE, PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, readAll } from '../helpers/memory-platform.ts';
import { rtcEngine } from '../helpers/rtc-engine.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('two seeders under a download limit each serve a fair share, and the limit holds', { timeout: 60_000 }, async (t) => {
  const limit = 1024 * 1024;
  const tracker = await startTestTracker(t);
  const [s1c, s2c, dc] = await groupOf(t, tracker.wsUrl, 'pair', ['s1', 's2', 'dl']);
  const bytes = new Uint8Array(randomBytes(12 * PIECE_SIZE));
  const seeders = [await rtcEngine(t, s1c!), await rtcEngine(t, s2c!)];
  let fileId = '';
  for (const s of seeders) {
    ({ fileId } = await s.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'twice.bin', size: bytes.length, groupId: 'pair', keep: 'original' }));
  }
  const d = await rtcEngine(t, dc!, { downloadBytesPerSecond: limit });
  // Bytes seen against bytes allowed, at every change: the bucket starts full
  // (a quarter second of rate) and may owe one block; the slack is four more
  // blocks for timing, so only a broken limit fails it.
  let worst = 0;
  let started = 0;
  d.engine.on('changed', () => {
    const got = d.engine.info(fileId)?.downloaded ?? 0;
    if (!started) return;
    const allowed = limit / 4 + limit * ((Date.now() - started) / 1000) + 5 * BLOCK_SIZE;
    worst = Math.max(worst, got / allowed);
  });
  started = Date.now();
  await d.engine.download(fileId);
  await d.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(d.engine, fileId)), sha1(bytes));
  assert.ok(worst <= 1, `the download ran past its limit: ${worst.toFixed(2)}× the bytes allowed`);

  // Each seeder's part, as the downloader counted it and as the seeder did.
  const peers = d.engine.info(fileId)!.peers;
  const shares = ['s1', 's2'].map((u) => peers.filter((p) => p.userId === u).reduce((n, p) => n + p.downloaded, 0) / bytes.length);
  const served = seeders.map((s) => (s.engine.info(fileId)?.uploaded ?? 0) / bytes.length);
  // A fair share is a half; a third each still allows for a link that opened a little later.
  for (const [i, share] of shares.entries()) {
    assert.ok(share >= 1 / 3, `s${i + 1} served ${(share * 100).toFixed(0)}% of the file (downloader's count; seeders counted ${served.map((s) => (s * 100).toFixed(0) + '%').join(', ')})`);
  }
});
