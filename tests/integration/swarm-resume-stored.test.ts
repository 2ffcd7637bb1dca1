/**
 * Where the store can list the pieces it holds (the browser's, through its
 * OPFS index and IndexedDB keys; the command line's, through its sidecar's
 * list of pieces written), the engine writes a download's progress to
 * its record at most once a second, not once per piece. A crash (a killed
 * tab) can then leave pieces stored that the record does not list: the next
 * start finds them, checks each against its hash, and fetches none of them
 * again; a stored piece whose bytes are wrong is fetched again.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { startTestTracker, userClient } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, MemoryPieceStore, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const PIECES = 12;

/** Alice shares `size` random bytes with Bob over a real tracker (Alice's upload capped when asked); Bob has no engine yet. */
async function aliceShares(t: TestContext, size: number, uploadBytesPerSecond?: number) {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network, uploadBytesPerSecond ? { limits: { uploadBytesPerSecond } } : {});
  const bytes = new Uint8Array(randomBytes(size));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'film.mkv', size: bytes.length, groupId: 'team', keep: 'original' });
  return { tracker, network, bob: bob!, bytes, fileId };
}

test('after a crash, pieces stored since the record was last written are checked and kept, not fetched again', async (t) => {
  const { tracker, network, bob, bytes, fileId } = await aliceShares(t, PIECES * PIECE_SIZE - 1234);

  // Bob's first session fetches every piece into a store that lists what it holds.
  const b1 = await memoryEngine(t, bob, network, { store: new MemoryPieceStore({ listsStored: true }) });
  await b1.engine.download(fileId);
  await b1.engine.whenComplete(fileId);
  b1.engine.close();
  bob.close();

  // What a crash mid-download leaves: the record last written when 4 pieces were in, 12 pieces
  // stored since, of which piece 5's bytes are wrong (a torn write) and piece 7's never landed.
  const store = await b1.store.reopen();
  const record = store.files.get(fileId)!;
  const saved = new Bitfield(PIECES);
  for (const i of [0, 1, 2, 3]) saved.set(i);
  store.files.set(fileId, { ...record, have: saved.bytes, state: 'downloading' });
  store.pieces.get(fileId)!.get(5)![100]! ^= 0xff;
  store.pieces.get(fileId)!.delete(7);
  store.writes = [];

  const bobAgain = await userClient(t, tracker.wsUrl, 'bob');
  const b2 = await memoryEngine(t, bobAgain, network, { store, start: false });
  const recovered: { fileId: string; pieces: number }[] = [];
  b2.engine.on('recovered', (e) => recovered.push(e));
  await b2.engine.start();
  assert.deepEqual(recovered, [{ fileId, pieces: PIECES - 4 - 2 }], 'the start says how many pieces it found beyond the record (the command line logs it)');
  assert.equal(b2.engine.info(fileId)!.piecesDone, PIECES - 2, 'every stored piece that checks out counts at once');
  assert.equal(new Bitfield(PIECES, store.files.get(fileId)!.have).count(), PIECES - 2, 'and the record says so');
  await b2.engine.whenComplete(fileId);
  assert.deepEqual(store.writes.map((w) => w.index).sort((x, y) => x - y), [5, 7], 'only the bad and the missing piece were fetched again');
  assert.equal(sha1(await readAll(b2.engine, fileId)), sha1(bytes), 'byte-exact');
  assert.equal(b2.engine.info(fileId)!.downloaded, 2 * PIECE_SIZE, 'the second session fetched exactly two pieces');
});

test('a store that lists its pieces gets a record write per second of progress, not one per piece, and the last one at completion', async (t) => {
  const { network, bob, fileId } = await aliceShares(t, PIECES * PIECE_SIZE);

  const b = await memoryEngine(t, bob, network, { store: new MemoryPieceStore({ listsStored: true }) });
  const verifiedAt: number[] = [];
  b.engine.on('verified', () => verifiedAt.push(Date.now()));
  await b.engine.download(fileId);
  await b.engine.whenComplete(fileId);
  await new Promise((r) => setTimeout(r, 50));
  const writes = b.store.recordWrites.filter((w) => w.fileId === fileId);
  assert.equal(verifiedAt.length, PIECES);
  // One write when the download is added, one at completion, and one per second of progress between.
  const seconds = Math.ceil((verifiedAt.at(-1)! - verifiedAt[0]!) / 1000);
  assert.ok(writes.length <= 2 + seconds + 1, `${writes.length} record writes for ${PIECES} pieces over ${seconds} s`);
  assert.equal(writes.at(-1)!.pieces, PIECES, 'the last write holds every piece');
  assert.equal(b.store.files.get(fileId)!.state, 'complete');
});

test('pausing writes the progress at once', async (t) => {
  // Slow enough that the pause lands mid-download.
  const { network, bob, fileId } = await aliceShares(t, PIECES * PIECE_SIZE, 2 * 1024 * 1024);

  const b = await memoryEngine(t, bob, network, { store: new MemoryPieceStore({ listsStored: true }) });
  await b.engine.download(fileId);
  await new Promise<void>((resolve) => {
    const off = b.engine.on('verified', () => {
      if (b.engine.info(fileId)!.piecesDone >= 2) {
        off();
        resolve();
      }
    });
  });
  await b.engine.pause(fileId);
  const done = b.engine.info(fileId)!.piecesDone;
  const record = b.store.files.get(fileId)!;
  assert.equal(record.state, 'paused');
  assert.equal(new Bitfield(PIECES, record.have).count(), done, 'the record holds every verified piece once paused');
  assert.ok(done < PIECES, `paused mid-download (${done} pieces)`);
});
