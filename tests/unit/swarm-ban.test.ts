/**
 * A peer dropped for bad pieces is banned by who it is, in two kinds of id
 * kept apart: its presence ids (the tracker's; no more dials or signals) and
 * its instance id (its handshake; no link under a new presence id). One kind
 * is never taken for the other. Driven through the tracker port in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_STRIKES, PIECE_SIZE } from '../../protocol/constants.ts';
import { CorruptingStore } from '../helpers/memory-platform.ts';
import { memorySwarmWorld, memoryFile, storedBytes, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';
import { eventually } from '../helpers/tracker.ts';

test('banning a liar by its instance id does not ban an honest peer whose presence id reads the same', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(4 * PIECE_SIZE);
  // A presence id is up to 32 of [A-Za-z0-9_-] (protocol/tracker.ts PeerId): 32 hex digits are one.
  // Mallory, who saw honest's presence id in a holders list, takes it as her instance id.
  const honestPresence = randomBytes(16).toString('hex');
  await swarmPeer(t, hub, network, 'mallory', file, { seed: true, store: new CorruptingStore(), instanceId: honestPresence });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await eventually(() => assert.deepEqual(d.events.peer_dropped.map((e) => e.userId), ['mallory']));
  assert.ok(d.events.piece_failed.length >= MAX_STRIKES);

  // Honest comes online with that presence id: dave must still dial it and get the file.
  await swarmPeer(t, hub, network, 'honest', file, { seed: true, presenceId: honestPresence });
  await whenComplete(d);
  assert.deepEqual(await storedBytes(d, file), file.bytes);
  assert.equal(d.swarm.stats().peers.find((p) => p.userId === 'honest')!.strikes, 0);
});

test('a liar dropped for bad pieces is not dialled again, nor let back in under a new presence id', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const file = memoryFile(4 * PIECE_SIZE);
  const instanceId = randomBytes(16).toString('hex');
  const m1 = await swarmPeer(t, hub, network, 'mallory', file, { seed: true, store: new CorruptingStore(), instanceId });
  const d = await swarmPeer(t, hub, network, 'dave', file);
  await eventually(() => assert.equal(d.events.peer_dropped.length, 1));
  const signalsToMallory = () => hub.signals.filter((s) => s.from === d.port.peerId && s.to === m1.port.peerId).length;
  const before = signalsToMallory();
  // Mallory announces again (a new piece, say): dave hears of her and does not dial.
  await m1.port.announce(file.fileId, m1.have);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(signalsToMallory(), before, 'no new dial to her presence id');

  // The same instance, back under a new presence id: dave dials it (the id is new to him), and hangs up at the handshake.
  m1.leave();
  const m2 = await swarmPeer(t, hub, network, 'mallory', file, { seed: true, store: new CorruptingStore(), instanceId });
  await eventually(() => assert.ok(d.events.peer_closed.some((e) => e.peerId === m2.port.peerId && e.reason === 'dropped for bad pieces'), JSON.stringify(d.events.peer_closed)));
  assert.equal(d.swarm.stats().peers.filter((p) => p.connected).length, 0);
});
