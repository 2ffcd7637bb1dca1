/**
 * Swarms driven through their tracker port in memory (tests/helpers/
 * memory-tracker.ts): no tracker, no engine. Two seeders and a downloader;
 * downloaders that feed each other; a peer at its cap that says "busy"; a
 * holder that never answers; a simultaneous dial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { memorySwarmWorld, memoryFile, storedBytes, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';
import { eventually } from '../helpers/tracker.ts';

test('two seeders and a downloader: the file arrives byte-exact, from both', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(8 * PIECE_SIZE + 1000);
  // Capped so that neither can send it all before the other is linked.
  const a = await swarmPeer(t, hub, network, 'alice', file, { seed: true, uploadBytesPerSecond: 4 * 1024 * 1024 });
  const b = await swarmPeer(t, hub, network, 'bob', file, { seed: true, uploadBytesPerSecond: 4 * 1024 * 1024 });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await whenComplete(d);

  assert.deepEqual(await storedBytes(d, file), file.bytes);
  assert.equal(d.store.writes.length, 9, 'one write per piece');
  assert.equal(d.events.verified.length, 9);
  assert.deepEqual(d.events.piece_failed, []);
  const stats = d.swarm.stats();
  assert.deepEqual(stats.peers.map((p) => p.userId).sort(), ['alice', 'bob']);
  assert.ok(stats.peers.every((p) => p.downloaded > 0), `both sent blocks: ${JSON.stringify(stats.peers.map((p) => [p.userId, p.downloaded]))}`);
  assert.ok(stats.downloaded >= file.meta.size);
  assert.ok(a.swarm.stats().uploaded > 0 && b.swarm.stats().uploaded > 0);
  // Once complete, the downloader is a seeder too: seeders have nothing to give each other, so it hangs up.
  await eventually(() => assert.ok(d.swarm.stats().peers.every((p) => !p.connected), 'links to the seeders closed'));
  assert.ok(d.events.peer_closed.every((e) => e.reason === 'both complete'), JSON.stringify(d.events.peer_closed));
});

test('two downloaders and a slow seeder: the downloaders also fetch from each other', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(12 * PIECE_SIZE);
  await swarmPeer(t, hub, network, 'alice', file, { seed: true, uploadBytesPerSecond: 6 * 1024 * 1024 });
  const b = await swarmPeer(t, hub, network, 'bob', file);
  const c = await swarmPeer(t, hub, network, 'carol', file);
  await Promise.all([whenComplete(b), whenComplete(c)]);

  assert.deepEqual(await storedBytes(b, file), file.bytes);
  assert.deepEqual(await storedBytes(c, file), file.bytes);
  const fromPeer = (who: typeof b, user: string) => who.swarm.stats().peers.find((p) => p.userId === user)?.downloaded ?? 0;
  assert.ok(fromPeer(b, 'carol') + fromPeer(c, 'bob') > 0, 'pieces went between the downloaders');
});

test('a seeder at its connection cap answers "busy": the dialler gives up at once and finds another', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(2 * PIECE_SIZE);
  // Alice takes one peer at a time, and is slow enough that carol's dial meets a full alice.
  const a = await swarmPeer(t, hub, network, 'alice', file, { seed: true, maxPeersPerFile: 1, uploadBytesPerSecond: 512 * 1024 });
  const b = await swarmPeer(t, hub, network, 'bob', file);
  await eventually(() => assert.equal(a.swarm.stats().peers.filter((p) => p.connected).length, 1));
  const c = await swarmPeer(t, hub, network, 'carol', file);
  await eventually(() => assert.ok(c.events.peer_closed.some((e) => e.userId === 'alice' && e.reason === 'the peer is at its connection cap'), JSON.stringify(c.events.peer_closed)));
  assert.ok(hub.signals.some((s) => s.envelope.busy === true && s.to === c.port.peerId), 'alice sent a busy envelope');
  // Bob, once he holds pieces, is a holder carol can use: she gets the file in the end.
  await whenComplete(b);
  await whenComplete(c);
  assert.deepEqual(await storedBytes(c, file), file.bytes);
});

test('a holder that never answers: the dial is closed at the connect timeout, and another holder serves', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(2 * PIECE_SIZE);
  // A ghost announces every piece, but nothing on its side hears signals.
  const ghost = hub.join('ghost');
  const all = new Bitfield(2);
  all.set(0);
  all.set(1);
  await ghost.announce(file.fileId, all);
  const d = await swarmPeer(t, hub, network, 'dave', file, { connectTimeoutMs: 300 });
  await eventually(() => assert.deepEqual(d.events.peer_closed.map((e) => [e.userId, e.reason]), [['ghost', 'connect timeout']]));
  assert.equal(d.swarm.retained().links, 0);
  await swarmPeer(t, hub, network, 'alice', file, { seed: true });
  await whenComplete(d);
  assert.deepEqual(await storedBytes(d, file), file.bytes);
});

test('two peers holding halves dial each other at once: one connection survives, and both complete', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(4 * PIECE_SIZE);
  const b = await swarmPeer(t, hub, network, 'bob', file, { pieces: [0, 1] });
  const c = await swarmPeer(t, hub, network, 'carol', file, { pieces: [2, 3] });
  await Promise.all([whenComplete(b), whenComplete(c)]);
  assert.deepEqual(await storedBytes(b, file), file.bytes);
  assert.deepEqual(await storedBytes(c, file), file.bytes);
  const conns = new Set(hub.signals.map((s) => s.envelope.conn));
  assert.ok(conns.size >= 2, `both dialled: ${[...conns]}`);
  assert.equal(b.events.peer_closed.filter((e) => e.reason === 'already connected').length + c.events.peer_closed.filter((e) => e.reason === 'already connected').length, 0, 'no second link got as far as a handshake');
  assert.equal(b.swarm.stats().peers.length, 1);
  assert.equal(c.swarm.stats().peers.length, 1);
});
