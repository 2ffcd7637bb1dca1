/** close() leaves nothing behind: no timer, no channel, no listener outlives the engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork } from '../helpers/memory-platform.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('closing engines mid-transfer stops every timer and channel they made', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  await new Promise((r) => setTimeout(r, 50));
  const baseline = timers();

  const a = await memoryEngine(t, alice!, network, { limits: { uploadBytesPerSecond: 2 * 1024 * 1024 } });
  const b = await memoryEngine(t, bob!, network);
  const bytes = new Uint8Array(randomBytes(16 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'f', size: bytes.length, groupId: 'team', keep: 'original' });
  let changes = 0;
  b.engine.on('changed', () => changes++);
  await b.engine.download(fileId);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(timers() > baseline, 'a running transfer has timers (the check below can fail)');
  assert.ok(network.open.size > 0, 'channels are open while transferring');

  b.engine.close();
  a.engine.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(network.open.size, 0, 'every peer channel is closed');
  assert.equal(timers(), baseline, 'no timer outlives the engines');
  const seen = changes;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(changes, seen, 'no event after close');
  await assert.rejects(b.engine.download(fileId), /closed/);
});
