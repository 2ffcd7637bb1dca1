/**
 * A seeder that corrupts what it sends, beside an honest one: every piece is
 * checked before it is kept, the download completes byte-exact, and the bad
 * peer is dropped (two strikes) with events the UI can show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, CorruptingStore, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';
import type { EngineEvents } from '../../client/engine.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('a corrupting seeder beside an honest one: the download is byte-exact and the bad peer is dropped', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [honestC, badC, dlC] = await groupOf(t, tracker.wsUrl, 'team', ['honest', 'mallory', 'dave']);
  const bytes = new Uint8Array(randomBytes(16 * PIECE_SIZE + 5));
  // Both seeders computed the true hashes (same file id); mallory serves flipped bytes from its store.
  const bad = await memoryEngine(t, badC!, network, { store: new CorruptingStore() });
  const { fileId } = await bad.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'x.bin', size: bytes.length, groupId: 'team', keep: 'store' });
  // The honest seeder is slower, so mallory gets its chance to send pieces.
  const honest = await memoryEngine(t, honestC!, network, { limits: { uploadBytesPerSecond: 3 * 1024 * 1024 } });
  await honest.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'x.bin', size: bytes.length, groupId: 'team', keep: 'original' });

  const d = await memoryEngine(t, dlC!, network);
  const failed: EngineEvents['piece_failed'][] = [];
  const dropped: EngineEvents['peer_dropped'][] = [];
  d.engine.on('piece_failed', (e) => failed.push(e));
  d.engine.on('peer_dropped', (e) => dropped.push(e));
  await d.engine.download(fileId);
  await d.engine.whenComplete(fileId);

  assert.equal(sha1(await readAll(d.engine, fileId)), sha1(bytes), 'byte-exact despite the corrupt blocks');
  assert.ok(failed.length >= 2, `pieces failed their check: ${failed.length}`);
  assert.ok(failed.every((f) => f.peers.some((p) => p.userId === 'mallory')), 'every failed piece had blocks from mallory');
  assert.deepEqual(dropped.map((e) => [e.userId, e.fileId]), [['mallory', fileId]], 'mallory, and only mallory, was dropped');
  assert.match(dropped[0]!.reason, /2 pieces failed/);
  const info = d.engine.info(fileId)!;
  assert.deepEqual(info.dropped.map((p) => p.userId), ['mallory']);
  const malloryPeer = info.peers.find((p) => p.userId === 'mallory')!;
  assert.equal(malloryPeer.connected, false);
  assert.ok(malloryPeer.strikes >= 2, 'dropped at two strikes (a piece still being checked may add one)');
  assert.equal(info.peers.find((p) => p.userId === 'honest')!.strikes, 0, 'the honest seeder took no blame');
  // Only verified pieces reached the store: one write per piece.
  assert.equal(d.store.writes.length, 17);
  // Dropped for this file: mallory is not dialled again while the download runs on.
  assert.equal(bad.engine.info(fileId)!.peers.filter((p) => p.connected).length, 0);
});

test('a shared original changed after sharing: its stale pieces are refused, never sent to fail at the peer', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [aliceC, bobC] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, aliceC!, network);
  const bytes = new Uint8Array(randomBytes(4 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'draft.doc', size: bytes.length, groupId: 'team', keep: 'original' });
  const errors: string[] = [];
  a.engine.on('error', (e) => errors.push(e.message));
  bytes[PIECE_SIZE + 5]! ^= 0xff; // the user edits the file: piece 1 no longer matches

  const b = await memoryEngine(t, bobC!, network);
  const failed: unknown[] = [];
  b.engine.on('piece_failed', (e) => failed.push(e));
  await b.engine.download(fileId);
  await eventually(() => assert.equal(b.engine.info(fileId)!.piecesDone, 3), 10_000);
  await eventually(() => assert.ok(errors.some((m) => /draft\.doc changed since it was shared/.test(m)), `errors: ${errors}`));
  await new Promise((r) => setTimeout(r, 300));
  const info = b.engine.info(fileId)!;
  assert.notEqual(info.pieces[1], 'done');
  assert.deepEqual(failed, [], 'nothing bad was sent, so nothing failed at bob and alice took no strike');
  assert.equal(info.state, 'downloading');
});
