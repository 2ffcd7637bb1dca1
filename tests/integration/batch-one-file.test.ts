/**
 * One file of a batch (issue 13 item 7): a downloader asking for one file
 * fetches only the pieces covering it (those it shares with its neighbours
 * included), is done when they are verified, keeps that across a restart,
 * and asking later for another file or the whole batch fetches only the
 * rest. Real tracker, the engine over the in-memory platform.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { batchRanges, fileSlices } from '../../protocol/batch.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, groupOf, memoryEngine, MemoryNetwork, pieceHashesOf, readAll } from '../helpers/memory-platform.ts';
import type { TransferEngine } from '../../client/engine.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

// 3 files over 7 pieces: a.bin ends inside piece 2, b/c.bin runs from piece 2 into piece 4, d.bin to the end.
const files = [
  { path: 'set/a.bin', size: 2 * PIECE_SIZE + 1000 },
  { path: 'set/b/c.bin', size: 2 * PIECE_SIZE - 500 },
  { path: 'set/d.bin', size: 2 * PIECE_SIZE + 3000 },
];

async function fileBytes(engine: TransferEngine, fileId: string, index: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const s of fileSlices(files, index, PIECE_SIZE)) parts.push((await engine.readPiece(fileId, s.piece)).subarray(s.from, s.to));
  return Buffer.concat(parts);
}

async function setUp(t: import('node:test').TestContext) {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network);
  const bytes = new Uint8Array(randomBytes(files.reduce((n, f) => n + f.size, 0)));
  const { fileId, meta } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'set', size: bytes.length, groupId: 'team', keep: 'original', files });
  assert.equal(meta.pieceHashes.length, 7);
  return { tracker, network, bob: bob!, fileId, bytes };
}

test('one file of a batch: only the pieces covering it are fetched, it is done when they are, and its bytes are its own', async (t) => {
  const { network, bob, fileId, bytes } = await setUp(t);
  const b = await memoryEngine(t, bob, network);
  await b.engine.download(fileId, { paths: ['set/b/c.bin'] });
  await b.engine.whenWanted(fileId);
  const range = batchRanges(files)[1]!;
  assert.deepEqual(b.store.writes.map((w) => w.index).sort(), [2, 3, 4], 'the pieces covering b/c.bin, with the two it shares with its neighbours');
  assert.equal(sha1(await fileBytes(b.engine, fileId, 1)), sha1(bytes.subarray(range.start, range.end)), "the file's SHA-1 matches");
  const info = b.engine.info(fileId)!;
  assert.deepEqual(info.wanted, { paths: ['set/b/c.bin'], size: files[1]!.size, bytesDone: files[1]!.size, done: true });
  assert.equal(info.progress, 1, 'progress is of the file asked for');
  assert.equal(info.state, 'downloading', 'the batch is not complete');
  assert.equal(info.waiting, false, 'not waiting: nothing more is wanted');
  assert.deepEqual(info.pieces, ['missing', 'missing', 'done', 'done', 'done', 'missing', 'missing']);
  const record = await b.store.getFile(fileId);
  assert.deepEqual(record?.wanted, ['set/b/c.bin'], 'kept with the record');
});

test('asking for another file, then the whole batch, fetches only the rest; a restart keeps the wanted set', async (t) => {
  const { network, bob, fileId, bytes } = await setUp(t);
  const b = await memoryEngine(t, bob, network);
  await b.engine.download(fileId, { paths: ['set/a.bin'] });
  await b.engine.whenWanted(fileId);
  assert.deepEqual(b.store.writes.map((w) => w.index).sort(), [0, 1, 2]);

  // The same store, a new engine (a reload): it resumes with the same wanted set and fetches nothing more.
  b.engine.close();
  const again = await memoryEngine(t, bob, network, { store: b.store });
  assert.deepEqual(again.engine.info(fileId)?.wanted?.done, true);
  await again.engine.whenWanted(fileId);
  assert.equal(b.store.writes.length, 3, 'nothing fetched after the restart');

  await again.engine.download(fileId, { paths: ['set/b/c.bin'] });
  assert.deepEqual(again.engine.info(fileId)?.wanted?.paths, ['set/a.bin', 'set/b/c.bin'], 'widened, in batch order');
  await again.engine.whenWanted(fileId);
  assert.deepEqual(b.store.writes.map((w) => w.index).sort(), [0, 1, 2, 3, 4], 'piece 2 (shared by both files) fetched once');

  await again.engine.download(fileId);
  await again.engine.whenComplete(fileId);
  const info = again.engine.info(fileId)!;
  assert.equal(info.state, 'complete');
  assert.equal(info.wanted, undefined, 'the whole batch asked for');
  assert.deepEqual(b.store.writes.map((w) => w.index).sort(), [0, 1, 2, 3, 4, 5, 6], 'every piece fetched exactly once');
  assert.equal(sha1(await readAll(again.engine, fileId)), sha1(bytes), 'the whole batch byte-exact');
});

test('a path the batch does not list, or an empty list, is refused and changes nothing', async (t) => {
  const { network, bob, fileId } = await setUp(t);
  const b = await memoryEngine(t, bob, network);
  await assert.rejects(b.engine.download(fileId, { paths: ['set/nope.bin'] }), /has no file "set\/nope\.bin"/);
  await assert.rejects(b.engine.download(fileId, { paths: [] }), /name at least one file/);
  assert.equal(b.engine.info(fileId), undefined, 'no download started');
  assert.equal((await b.store.listFiles()).length, 0);
  await b.engine.download(fileId, { paths: ['set/d.bin'] });
  await assert.rejects(b.engine.download(fileId, { paths: ['../x'] }), /has no file/);
  assert.deepEqual(b.engine.info(fileId)?.wanted?.paths, ['set/d.bin'], 'the download goes on as it was');
});
