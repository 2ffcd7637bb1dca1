/**
 * Verification and strikes, with swarms driven through their tracker port in
 * memory (no tracker): a corrupting seeder beside an honest one, a peer
 * that leaves in the middle of a piece, and a hasher of our own that fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_STRIKES, PIECE_SIZE } from '../../protocol/constants.ts';
import { CorruptingStore, nodeHasher } from '../helpers/memory-platform.ts';
import { memorySwarmWorld, memoryFile, storedBytes, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';
import { eventually } from '../helpers/tracker.ts';

test('a corrupting seeder beside an honest one: byte-exact, only verified pieces stored, the liar dropped at MAX_STRIKES', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(8 * PIECE_SIZE + 5);
  const mallory = await swarmPeer(t, hub, network, 'mallory', file, { seed: true, store: new CorruptingStore() });
  // The honest seeder is slower, so mallory gets her chance to send pieces.
  await swarmPeer(t, hub, network, 'honest', file, { seed: true, uploadBytesPerSecond: 3 * 1024 * 1024 });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await whenComplete(d);

  assert.deepEqual(await storedBytes(d, file), file.bytes, 'byte-exact despite the corrupt blocks');
  assert.equal(d.store.writes.length, 9, 'only verified pieces reached the store: one write per piece');
  assert.ok(d.events.piece_failed.length >= MAX_STRIKES, `pieces failed: ${d.events.piece_failed.length}`);
  assert.ok(d.events.piece_failed.every((f) => f.peers.some((p) => p.userId === 'mallory')), 'every failed piece had blocks from mallory');
  assert.deepEqual(d.events.peer_dropped.map((e) => e.userId), ['mallory']);
  assert.match(d.events.peer_dropped[0]!.reason, new RegExp(`${MAX_STRIKES} pieces failed`));
  const stats = d.swarm.stats();
  assert.deepEqual(stats.dropped.map((p) => p.userId), ['mallory']);
  assert.equal(stats.peers.find((p) => p.userId === 'mallory')!.connected, false);
  assert.equal(stats.peers.find((p) => p.userId === 'honest')!.strikes, 0, 'the honest seeder took no blame');
  // Dropped for this file: mallory is not let back in.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(mallory.swarm.stats().peers.filter((p) => p.connected).length, 0);
});

test('a peer that leaves in the middle of a piece: the piece is finished by another, nothing fails', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(6 * PIECE_SIZE);
  // Bob is slow (a piece takes him about a second); alice is slower still at first.
  const b = await swarmPeer(t, hub, network, 'bob', file, { seed: true, uploadBytesPerSecond: 512 * 1024 });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  // Dave has part of a piece from bob, and no whole piece yet.
  await eventually(() => {
    const fromBob = d.swarm.stats().peers.find((p) => p.userId === 'bob')?.downloaded ?? 0;
    assert.ok(fromBob > 0 && fromBob < PIECE_SIZE / 2, `from bob: ${fromBob}`);
  });
  const started = [...d.swarm.inflightPieces()];
  assert.ok(started.length > 0, 'a piece is under way');
  b.leave();
  await eventually(() => assert.ok(d.events.peer_closed.some((e) => e.userId === 'bob'), 'dave saw bob go'));
  assert.equal(d.events.verified.length, 0, 'no piece was whole when bob left');

  const a = await swarmPeer(t, hub, network, 'alice', file, { seed: true });
  await whenComplete(d);
  assert.deepEqual(await storedBytes(d, file), file.bytes);
  assert.deepEqual(d.events.piece_failed, [], 'the blocks bob sent were good: no piece failed, nobody was blamed');
  assert.equal(d.store.writes.length, 6);
  assert.ok(started.every((p) => d.have.has(p)), 'the pieces bob had started were finished');
  assert.ok(a.swarm.stats().uploaded < file.meta.size, 'alice did not send what bob had already sent');
});

test('a piece our own hasher failed on is fetched again, and the peer that sent it takes no blame', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(4 * PIECE_SIZE);
  // The browser's hash worker can fail (it crashed, it was out of memory): that says nothing of the bytes.
  let failures = MAX_STRIKES + 1;
  const flaky = { sha1: (data: Uint8Array) => (failures-- > 0 ? Promise.reject(new Error('the hashing worker failed')) : nodeHasher.sha1(data)) };
  const s = await swarmPeer(t, hub, network, 'sam', file, { seed: true });
  const d = await swarmPeer(t, hub, network, 'dave', file, { hasher: flaky });
  await whenComplete(d);

  assert.deepEqual(await storedBytes(d, file), file.bytes);
  assert.deepEqual(d.events.piece_failed, [], 'a failed check of our own is no failed piece');
  assert.deepEqual(d.events.peer_dropped, [], 'the only seeder is kept');
  assert.equal(d.swarm.stats().peers.find((p) => p.userId === 'sam')!.strikes, 0);
  assert.equal(d.events.error.filter((e) => /hashing piece \d+ failed: the hashing worker failed/.test(e.message)).length, MAX_STRIKES + 1, 'each failure is told');
  assert.ok(s.swarm.stats().uploaded >= file.meta.size + PIECE_SIZE, 'the pieces it failed on were fetched again');
});
