/**
 * A PeerLink on peer wire version 2: requests made in one turn travel as one
 * `requests` frame and each is served; a cancel never overtakes the requests
 * before it; a peer speaking another wire version is closed with plain words
 * that reach the downloads page (LinkOutcomes.unreachable).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_SIZE, WIRE_VERSION } from '../../protocol/constants.ts';
import { encodeFrame } from '../../protocol/wire.ts';
import { LinkOutcomes } from '../../client/link-outcomes.ts';
import type { SwarmTracker } from '../../client/ports.ts';
import { FILE_ID, PIECE, linkHost, linkPair, linkToRaw } from '../helpers/peer-link-harness.ts';
import { eventually } from '../helpers/tracker.ts';

/** A recording host that holds the one piece, or not. */
const host = (holds: boolean) => linkHost({ holds });

test('requests made in one turn go as one requests frame; the server answers each with its block', async (t) => {
  const seeder = host(true);
  const leecher = host(false);
  const links = linkPair(t, leecher.h, seeder.h);
  await eventually(() => assert.deepEqual([links.a.state, links.b.state], ['ready', 'ready']));
  const before = links.network.framesSent;
  const asked = [0, 1, 0, 1, 0, 1, 0, 1].map((i) => ({ piece: 0, offset: i * BLOCK_SIZE, length: BLOCK_SIZE }));
  for (const ref of asked) links.a.request(ref);
  await eventually(() => assert.equal(leecher.calls.blocks.length, asked.length));
  assert.equal(links.network.framesSent - before, 1 + asked.length, 'one frame of requests, then one block frame each');
  // Each block is its own bytes, though the server encoded all of them into one buffer.
  leecher.calls.blocks.forEach((b, i) => {
    assert.equal(b.offset, asked[i]!.offset);
    assert.deepEqual(b.data, PIECE.subarray(b.offset, b.offset + BLOCK_SIZE));
  });
});

test('a cancel sent in the same turn as requests arrives after them', async (t) => {
  const { link, frames } = await linkToRaw(t, host(false).h);
  await eventually(() => assert.ok(frames.some((f) => f.type === 'handshake'), 'our handshake arrived'));
  link.request({ piece: 0, offset: 0, length: BLOCK_SIZE });
  link.request({ piece: 0, offset: BLOCK_SIZE, length: BLOCK_SIZE });
  link.send({ type: 'cancel', piece: 0, offset: BLOCK_SIZE, length: BLOCK_SIZE });
  await eventually(() => assert.ok(frames.some((f) => f.type === 'cancel')));
  assert.deepEqual(
    frames.filter((f) => f.type !== 'handshake').map((f) => f.type),
    ['requests', 'cancel'],
  );
});

test('a peer on an older wire version: the link closes saying which side is older, and the downloads page lists it so', async (t) => {
  const downloader = host(false);
  const { link, channel } = await linkToRaw(t, downloader.h);
  // What a wire-1 Meshdrop sends first: its handshake, version byte 1.
  const old = encodeFrame({ type: 'handshake', fileId: FILE_ID, peerId: 'ef'.repeat(16), pieceCount: 1, bitfield: new Uint8Array([0x80]) });
  old[0] = WIRE_VERSION - 1;
  channel.send(old);
  await eventually(() => assert.equal(link.state, 'closed'));
  assert.equal(link.theirWireVersion, WIRE_VERSION - 1);
  assert.match(downloader.calls.closed[0]!, /alice runs an older Meshdrop \(peer protocol 1, this one speaks 2\): alice needs to reload the page or update the meshdrop command/);
  const outcomes = new LinkOutcomes({} as SwarmTracker);
  outcomes.closed(link);
  assert.deepEqual(outcomes.unreachable(), [{ userId: 'alice', reason: `could not download from alice: ${downloader.calls.closed[0]}` }]);
});
