/**
 * A long-lived swarm keeps nothing for peers that are gone beyond what it
 * needs: links that closed are pruned once no unfinished piece holds blocks
 * they sent (until then they are kept, to share the blame if it fails).
 * Driven through the tracker port in memory (no tracker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { CorruptingStore, MemoryNetwork } from '../helpers/memory-platform.ts';
import { MemoryTrackerHub, memoryFile, storedBytes, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';
import { eventually } from '../helpers/tracker.ts';

test('a seeder serving downloader after downloader keeps no record of the links that closed', async (t) => {
  const hub = new MemoryTrackerHub();
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const file = memoryFile(2 * PIECE_SIZE);
  const s = await swarmPeer(t, hub, network, 'sam', file, { seed: true });
  for (let i = 0; i < 5; i++) {
    const d = await swarmPeer(t, hub, network, `d${i}`, file);
    await whenComplete(d);
    assert.deepEqual(await storedBytes(d, file), file.bytes);
    // Complete, the downloader hangs up on the seeder ("both complete").
    await eventually(() => assert.equal(s.swarm.retained().links, 0, `round ${i}: links open at the seeder`));
    assert.equal(d.swarm.retained().blame, 0, `round ${i}: the downloader keeps no link for blame once every piece verified`);
    d.leave();
  }
  assert.equal(s.swarm.stats().peers.length, 5, 'the totals of the five stay listed, as before');
  assert.equal(s.swarm.retained().blame, 0, 'no closed link is kept at the seeder (it grew by one per downloader before)');
});

test('a closed link is kept while a piece holds its blocks: a liar that leaves mid-piece is still blamed, then forgotten', async (t) => {
  const hub = new MemoryTrackerHub();
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const file = memoryFile(4 * PIECE_SIZE);
  // Mallory is slow and lies: the first block of every piece she sends is corrupt.
  const m = await swarmPeer(t, hub, network, 'mallory', file, { seed: true, store: new CorruptingStore(), uploadBytesPerSecond: 512 * 1024 });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await eventually(() => {
    const fromMallory = d.swarm.stats().peers.find((p) => p.userId === 'mallory')?.downloaded ?? 0;
    assert.ok(fromMallory > 0 && fromMallory < PIECE_SIZE / 2, `from mallory: ${fromMallory}`);
  });
  m.leave();
  await eventually(() => assert.ok(d.events.peer_closed.some((e) => e.userId === 'mallory')));
  assert.equal(d.swarm.retained().links, 0);
  assert.equal(d.swarm.retained().blame, 1, 'her link is kept: a piece holds her blocks');

  await swarmPeer(t, hub, network, 'honest', file, { seed: true });
  await whenComplete(d);
  assert.deepEqual(await storedBytes(d, file), file.bytes);
  assert.ok(d.events.piece_failed.length >= 1, 'the piece she began failed when finished');
  assert.ok(d.events.piece_failed.every((f) => f.peers.some((p) => p.userId === 'mallory')), 'and she took the blame though gone');
  assert.equal(d.swarm.retained().blame, 0, 'then her link was forgotten');
});
