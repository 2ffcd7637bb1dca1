/**
 * A download whose store fills up (a full disk): the engine pauses it once
 * and says why, instead of fetching pieces it cannot keep at the channel's
 * speed; what was stored stays, and resuming once there is room finishes it
 * byte-exact. Real tracker, in-memory platform.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, MemoryPieceStore, readAll } from '../helpers/memory-platform.ts';

/** Holds `room` pieces, then refuses more as a full disk does, until given more room. */
class FillingStore extends MemoryPieceStore {
  attempts = 0;
  constructor(public room: number) {
    super();
  }
  override async putPiece(fileId: string, index: number, data: Uint8Array): Promise<void> {
    this.attempts++;
    if (this.writes.length >= this.room) throw new Error('ENOSPC: no space left on device');
    return super.putPiece(fileId, index, data);
  }
}

test('a download whose store is full is paused once, with words; resumed once there is room, it completes byte-exact', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network);
  const store = new FillingStore(2);
  const b = await memoryEngine(t, bob!, network, { store });
  const stopped: { fileId: string; reason: string }[] = [];
  const errors: string[] = [];
  b.engine.on('stopped', (e) => stopped.push(e));
  b.engine.on('error', (e) => errors.push(e.message));

  const bytes = new Uint8Array(randomBytes(8 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'big.iso', size: bytes.length, groupId: 'team', keep: 'original' });
  await b.engine.download(fileId);
  const paused = await Promise.race([
    new Promise<boolean>((resolve) => b.engine.on('stopped', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
  ]);
  assert.ok(paused, `the download was never paused; pieces offered to the full store: ${store.attempts}`);
  await new Promise((r) => setTimeout(r, 500)); // long enough for a spinning download to fetch the file over again

  assert.equal(stopped.length, 1, 'said once');
  assert.match(stopped[0]!.reason, /^Paused big\.iso: a piece could not be stored \(ENOSPC: no space left on device\)\. Free some space, then resume\.$/);
  assert.deepEqual(errors, [], 'no error per failed piece besides');
  assert.equal(b.engine.info(fileId)!.state, 'paused');
  assert.ok(store.attempts <= 2 + 8, `pieces offered to the full store: ${store.attempts}; a download that kept going offers far more`);
  const held = (await b.store.getFile(fileId))!;
  assert.equal(held.state, 'paused', 'the record says paused too');
  const kept = store.writes.length;
  assert.equal(kept, 2, 'what was stored stays');

  store.room = Infinity;
  await b.engine.resume(fileId);
  await b.engine.whenComplete(fileId);
  assert.deepEqual(await readAll(b.engine, fileId), bytes, 'byte-exact');
  assert.equal(stopped.length, 1);
});
