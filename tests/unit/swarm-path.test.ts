/**
 * Swarms through their tracker port in memory (issue 10 item 3): a link's
 * path reaches PeerInfo and is reported by the side that dialled; a holder
 * that cannot be reached is listed with the reason and reported failed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { unreachableReason } from '../../client/connection-path.ts';
import { memorySwarmWorld, memoryFile, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';
import { eventually } from '../helpers/tracker.ts';

test('the path the channel reports is the peer\'s path, and only the dialler reports it', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  network.path = 'relayed';
  const file = memoryFile(4 * PIECE_SIZE);
  // Slow enough that the link is still open when the path is learnt.
  const a = await swarmPeer(t, hub, network, 'alice', file, { seed: true, uploadBytesPerSecond: 1024 * 1024 });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await eventually(() => assert.equal(d.swarm.stats().peers.find((p) => p.userId === 'alice')?.path, 'relayed'));
  // Each side asks its own channel: the accepting side may learn it a moment later.
  await eventually(() => assert.equal(a.swarm.stats().peers.find((p) => p.userId === 'dave')?.path, 'relayed', 'the accepting side knows it too'));
  await whenComplete(d);
  assert.deepEqual(d.port.outcomes, ['relayed'], 'one report, from the dialler');
  assert.deepEqual(a.port.outcomes, [], 'the side that accepted does not count the same link again');
  assert.deepEqual(d.swarm.stats().unreachable, []);
});

test('a platform that cannot tell leaves the path unknown and reports nothing', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(2 * PIECE_SIZE);
  await swarmPeer(t, hub, network, 'alice', file, { seed: true });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await whenComplete(d);
  assert.equal(d.swarm.stats().peers[0]?.path, undefined);
  assert.deepEqual(d.port.outcomes, []);
});

test('a holder no path reaches is listed with the plain reason and reported failed once, redials included; it goes from the list when it leaves', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(2 * PIECE_SIZE);
  const ghost = hub.join('ghost');
  await ghost.announce(file.fileId, Bitfield.full(2));
  const d = await swarmPeer(t, hub, network, 'dave', file, { connectTimeoutMs: 200 });
  await eventually(() => assert.deepEqual(d.swarm.stats().unreachable, [{ userId: 'ghost', reason: unreachableReason('ghost', []) }]));
  assert.match(d.swarm.stats().unreachable[0]!.reason, /offers no relay/);
  assert.deepEqual(d.port.outcomes, ['failed']);
  // The dialler tries again (REDIAL_MS, 5 s, in dialer.ts) and fails again: still one report.
  await eventually(() => assert.equal(d.events.peer_closed.filter((e) => e.userId === 'ghost').length, 2), 10_000);
  assert.deepEqual(d.port.outcomes, ['failed'], 'one failed report per holder, not one per dial');
  ghost.leave();
  await eventually(() => assert.deepEqual(d.swarm.stats().unreachable, []));
});

test('with a relay on offer the reason says the relay failed too; a peer refused as busy is not "unreachable"', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(2 * PIECE_SIZE);
  const ghost = hub.join('ghost');
  await ghost.announce(file.fileId, Bitfield.full(2));
  // Alice is at her cap (none at all, so the test needs no race): every dial of hers is answered "busy".
  await swarmPeer(t, hub, network, 'alice', file, { seed: true, maxPeersPerFile: 0 });
  // Long enough for alice's "busy" to come back on a loaded machine; ghost's dials still time out.
  const d = await swarmPeer(t, hub, network, 'dave', file, { connectTimeoutMs: 1500, start: false });
  d.port.iceServers = [{ urls: 'turn:relay.example:3478', username: 'u', credential: 'c' }];
  await d.swarm.start();
  await eventually(() => assert.ok(d.events.peer_closed.some((e) => e.userId === 'alice' && e.reason === 'the peer is at its connection cap')));
  await eventually(() => assert.deepEqual(d.swarm.stats().unreachable.map((u) => u.userId), ['ghost']));
  assert.match(d.swarm.stats().unreachable[0]!.reason, /not even through this tracker's relay/);
  assert.deepEqual(d.port.outcomes, ['failed'], 'busy is not a failed connection');
});
