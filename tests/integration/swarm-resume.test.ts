/**
 * A downloader that restarts (a page reload: new engine, new tracker
 * connection, same store) resumes without fetching a verified piece again;
 * pause, resume and remove do what the user expects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { eventually, startTestTracker, userClient } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('a restarted downloader resumes from its store and fetches no verified piece twice', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network, { limits: { uploadBytesPerSecond: 4 * 1024 * 1024 } });
  const bytes = new Uint8Array(randomBytes(20 * PIECE_SIZE + 99));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'film.mkv', size: bytes.length, groupId: 'team', keep: 'original' });

  const b1 = await memoryEngine(t, bob!, network);
  await b1.engine.download(fileId);
  const closes: unknown[] = [];
  b1.engine.on('peer_closed', (e) => closes.push(e));
  await eventually(() => assert.ok(b1.engine.info(fileId)!.piecesDone >= 5, JSON.stringify({ ...b1.engine.info(fileId), pieces: b1.engine.info(fileId)!.pieces.join(''), closes })), 10_000);
  // The "reload": the page goes away mid-download.
  b1.engine.close();
  bob!.close();
  await new Promise((r) => setImmediate(r));
  const store = await b1.store.reopen();
  const record = (await store.getFile(fileId))!;
  const before = new Bitfield(21, record.have);
  assert.equal(record.state, 'downloading');
  assert.ok(before.count() >= 5 && before.count() < 21, `verified before the reload: ${before.count()}`);

  const bobAgain = await userClient(t, tracker.wsUrl, 'bob');
  const b2 = await memoryEngine(t, bobAgain, network, { store });
  assert.equal(b2.engine.info(fileId)!.piecesDone, before.count(), 'progress shown at once from the store');
  await b2.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(b2.engine, fileId)), sha1(bytes), 'byte-exact after the resume');

  const refetched = store.writes.filter((w) => before.has(w.index));
  assert.deepEqual(refetched, [], 'no verified piece was fetched again');
  const info = b2.engine.info(fileId)!;
  const missingBytes = bytes.length - before.count() * PIECE_SIZE + (before.has(20) ? PIECE_SIZE - 99 : 0);
  assert.equal(info.downloaded, missingBytes, 'the second session fetched exactly what was missing');
});

test('pause stops the transfer, resume finishes it, remove deletes the stored pieces', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network, { limits: { uploadBytesPerSecond: 4 * 1024 * 1024 } });
  const bytes = new Uint8Array(randomBytes(16 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'a.bin', size: bytes.length, groupId: 'team', keep: 'original' });
  const b = await memoryEngine(t, bob!, network);
  await b.engine.download(fileId);
  await eventually(() => assert.ok(b.engine.info(fileId)!.piecesDone >= 2, 'some pieces arrived'), 10_000);

  await b.engine.pause(fileId);
  assert.equal(b.engine.info(fileId)!.state, 'paused');
  assert.equal((await b.store.getFile(fileId))!.state, 'paused', 'the pause is saved');
  await new Promise((r) => setTimeout(r, 50)); // blocks already on the wire may land
  const writes = b.store.writes.length;
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(b.store.writes.length, writes, 'nothing is fetched while paused');
  assert.deepEqual(b.engine.info(fileId)!.peers.filter((p) => p.connected), []);

  await b.engine.resume(fileId);
  await b.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));

  await b.engine.remove(fileId);
  assert.equal(b.engine.info(fileId), undefined);
  assert.equal(await b.store.getFile(fileId), undefined);
  assert.equal(await b.store.getPiece(fileId, 0), undefined, 'the space is freed');
  await eventually(async () => {
    const { holders } = await alice!.request('get_holders', { fileId });
    assert.ok(!holders.some((h) => h.userId === 'bob'), 'bob no longer offers it');
  });
});

test('after a reload, a shared original waits for its file (needsSource) and seeds again once attached', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a1 = await memoryEngine(t, alice!, network);
  const bytes = new Uint8Array(randomBytes(3 * PIECE_SIZE));
  const { fileId } = await a1.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'orig.bin', size: bytes.length, groupId: 'team', keep: 'original' });
  assert.equal(a1.store.pieces.size, 0, "keep: 'original' copies nothing into the store");
  a1.engine.close();
  alice!.close();

  // The reload: no way to reopen the file without the user (no openSource given).
  const aliceAgain = await userClient(t, tracker.wsUrl, 'alice');
  const a2 = await memoryEngine(t, aliceAgain, network, { store: await a1.store.reopen() });
  const waiting = a2.engine.info(fileId)!;
  assert.deepEqual([waiting.needsSource, waiting.shared, waiting.state], [true, true, 'complete']);
  assert.deepEqual((await bob!.request('get_holders', { fileId })).holders, [], 'not offered while it cannot be read');

  await a2.engine.attachSource(fileId, bytesSource(bytes));
  assert.equal(a2.engine.info(fileId)!.needsSource, false);
  const b = await memoryEngine(t, bob!, network);
  await b.engine.download(fileId);
  await b.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));
});
