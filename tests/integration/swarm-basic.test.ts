/**
 * The transfer engine over a real tracker and the in-memory platform: a
 * share reaches a downloader byte-exact, from every seeder, seeding while
 * downloading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('one seeder, one downloader: the file arrives byte-exact, and the UI state says so', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network);
  const b = await memoryEngine(t, bob!, network);

  const bytes = new Uint8Array(randomBytes(5 * PIECE_SIZE + 777));
  const { fileId, meta } = await a.engine.share({
    source: bytesSource(bytes),
    pieceHashes: pieceHashesOf(bytes),
    name: 'holiday.mov',
    size: bytes.length,
    groupId: 'team',
    keep: 'original',
  });
  assert.equal(meta.pieceHashes.length, 6);
  assert.equal(meta.pieceHashes[0], sha1(bytes.subarray(0, PIECE_SIZE)));
  // Hashing progress is the platform's now (the engine takes the hashes): tests/e2e/hashing-worker.test.ts
  // asserts the worker's progress after every piece, tests/unit/ui-state.test.ts the fraction the page shows.
  const shared = a.engine.info(fileId)!;
  assert.deepEqual([shared.state, shared.shared, shared.progress], ['complete', true, 1]);

  await b.engine.download(fileId);
  await b.engine.whenComplete(fileId);
  const got = await readAll(b.engine, fileId);
  assert.equal(sha1(got), sha1(bytes), 'byte-exact');
  assert.equal(got.length, bytes.length);

  const info = b.engine.info(fileId)!;
  assert.equal(info.state, 'complete');
  assert.equal(info.groupId, 'team');
  assert.equal(info.name, 'holiday.mov');
  assert.equal(info.progress, 1);
  assert.equal(info.shared, false);
  assert.ok(info.pieces.every((p) => p === 'done'), 'every piece shown done');
  assert.equal(info.downloaded, bytes.length, 'no block was fetched twice');
  const fromAlice = info.peers.find((p) => p.userId === 'alice');
  assert.equal(fromAlice?.downloaded, bytes.length, 'per-peer counter');
  // Every piece went to the store, once, and the record says complete.
  assert.equal(b.store.writes.length, 6);
  const record = await b.store.getFile(fileId);
  assert.equal(record?.state, 'complete');
  await eventually(() => assert.equal(a.engine.info(fileId)!.uploaded, bytes.length, 'the seeder counted what it sent'));
  // bob now seeds: the tracker lists him with every piece.
  const { holders } = await alice!.request('get_holders', { fileId });
  await eventually(async () => {
    const h = (await alice!.request('get_holders', { fileId })).holders.find((x) => x.userId === 'bob');
    assert.ok(h, `bob is a holder: ${JSON.stringify(holders)}`);
    assert.equal(Buffer.from(h.bitfield, 'base64').toString('hex'), 'fc');
  });
});

test('three seeders, one downloader: bytes come from all three', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const users = ['s1', 's2', 's3', 'dl'];
  const clients = await groupOf(t, tracker.wsUrl, 'crew', users);
  // Each seeder capped, so no single one can finish the file before the others join in.
  const seeders = await Promise.all(clients.slice(0, 3).map((c) => memoryEngine(t, c, network, { limits: { uploadBytesPerSecond: 2 * 1024 * 1024 } })));
  const bytes = new Uint8Array(randomBytes(24 * PIECE_SIZE));
  let fileId = '';
  for (const s of seeders) {
    ({ fileId } = await s.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'big.iso', size: bytes.length, groupId: 'crew', keep: 'store' }));
  }
  const d = await memoryEngine(t, clients[3]!, network);
  await d.engine.download(fileId);
  await d.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(d.engine, fileId)), sha1(bytes));
  const peers = d.engine.info(fileId)!.peers;
  for (const user of ['s1', 's2', 's3']) {
    const p = peers.find((x) => x.userId === user);
    assert.ok(p && p.downloaded >= PIECE_SIZE, `bytes from ${user}: ${JSON.stringify(peers.map((x) => [x.userId, x.downloaded]))}`);
  }
  assert.equal(peers.reduce((n, p) => n + p.downloaded, 0) >= bytes.length, true);
});

test('C downloads from B while B is still downloading from A', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [ca, cb, cc] = await groupOf(t, tracker.wsUrl, 'chain', ['ann', 'ben', 'cat']);
  // A is slow, so B is mid-download for long; C cannot reach A at all (A takes one peer only).
  const a = await memoryEngine(t, ca!, network, { limits: { uploadBytesPerSecond: 1024 * 1024, maxPeersPerFile: 1 } });
  const b = await memoryEngine(t, cb!, network);
  const c = await memoryEngine(t, cc!, network);
  const bytes = new Uint8Array(randomBytes(12 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'chain.bin', size: bytes.length, groupId: 'chain', keep: 'original' });
  let mostAtA = 0;
  a.engine.on('changed', () => (mostAtA = Math.max(mostAtA, a.engine.info(fileId)?.peers.filter((p) => p.connected).length ?? 0)));
  await b.engine.download(fileId);
  await eventually(() => assert.ok(b.engine.info(fileId)!.piecesDone >= 2, 'B has some pieces'), 10_000);
  await c.engine.download(fileId);
  await eventually(() => assert.ok((c.engine.info(fileId)!.peers.find((p) => p.userId === 'ben')?.downloaded ?? 0) > 0, 'C got bytes from B'), 10_000);
  assert.equal(b.engine.info(fileId)!.state, 'downloading', 'while B was still downloading');
  await Promise.all([b.engine.whenComplete(fileId), c.engine.whenComplete(fileId)]);
  assert.equal(sha1(await readAll(c.engine, fileId)), sha1(bytes));
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));
  assert.ok(mostAtA <= 1, `A never had more than its one allowed peer (${mostAtA})`);
});
