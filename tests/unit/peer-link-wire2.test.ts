/**
 * A PeerLink on peer wire version 2: requests made in one turn travel as one
 * `requests` frame and each is served; a cancel never overtakes the requests
 * before it; a peer speaking another wire version is closed with plain words
 * that reach the downloads page (LinkOutcomes.unreachable).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Bitfield } from '../../protocol/bitfield.ts';
import { BLOCK_SIZE, WIRE_VERSION } from '../../protocol/constants.ts';
import { asConnId, asInstanceId, asPresenceId } from '../../protocol/ids.ts';
import { decodeFrame, encodeFrame, type Frame } from '../../protocol/wire.ts';
import { PeerLink, type BlockFrame, type LinkHost } from '../../client/peer-link.ts';
import { LinkOutcomes } from '../../client/link-outcomes.ts';
import type { PeerChannel, SwarmTracker } from '../../client/ports.ts';
import { TokenBucket } from '../../client/rate.ts';
import { UploadTurns } from '../../client/upload-turns.ts';
import { MemoryNetwork } from '../helpers/memory-platform.ts';
import { eventually } from '../helpers/tracker.ts';

const FILE_ID = 'cd'.repeat(20);
const PIECE = new Uint8Array(randomBytes(2 * BLOCK_SIZE));

function host(holds: boolean) {
  const have = new Bitfield(1);
  if (holds) have.set(0);
  const calls = { closed: [] as string[], blocks: [] as BlockFrame[] };
  const h: LinkHost = {
    fileId: FILE_ID,
    pieceCount: 1,
    instanceId: asInstanceId(randomBytes(16).toString('hex')),
    have,
    uploadTurns: new UploadTurns(new TokenBucket(Infinity, Date.now)),
    canServe: (ref) => have.has(ref.piece) && ref.offset % BLOCK_SIZE === 0 && ref.length === BLOCK_SIZE,
    readPiece: async () => PIECE,
    admit: () => undefined,
    ready: () => undefined,
    peerHas: () => undefined,
    reject: () => undefined,
    // The frame's data is a view into the received message: keep a copy, as the swarm does.
    block: (_link, frame) => calls.blocks.push({ ...frame, data: frame.data.slice() }),
    served: () => undefined,
    error: () => undefined,
    closed: (_link, reason) => calls.closed.push(reason),
  };
  return { h, calls };
}

/** `downloader` (a real PeerLink, dialling) and the other side's raw channel, whose frames are recorded. */
async function linkToRaw(t: { after: (fn: () => void) => void }, downloader: LinkHost) {
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  let raw!: ReturnType<ReturnType<MemoryNetwork['connector']>['connect']>;
  const link = new PeerLink(
    { conn: asConnId('c-2'), peerId: asPresenceId('alicealice'), userId: 'alice', initiator: true, iceServers: [], connector: network.connector(), connectTimeoutMs: 5_000, signal: async (_to, env) => void setImmediate(() => raw.signal(env.data)) },
    downloader,
  );
  raw = network.connector().connect({ initiator: false, iceServers: [], sendSignal: (data) => setImmediate(() => link.signal(data)) });
  t.after(() => link.close());
  const channel: PeerChannel = await raw.channel;
  const frames: Frame[] = [];
  const bytes: Uint8Array[] = [];
  channel.onFrame = (b) => {
    bytes.push(b);
    const d = decodeFrame(b);
    if (d.ok) frames.push(d.frame);
  };
  return { link, channel, frames, bytes, network };
}

test('requests made in one turn go as one requests frame; the server answers each with its block', async (t) => {
  const seeder = host(true);
  const leecher = host(false);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const links: { a?: PeerLink; b?: PeerLink } = {};
  const common = { conn: asConnId('c-1'), iceServers: [], connector: network.connector(), connectTimeoutMs: 5_000 };
  links.a = new PeerLink({ ...common, peerId: asPresenceId('seedseed'), userId: 'alice', initiator: true, signal: async (_to, env) => void setImmediate(() => links.b!.signal(env.data)) }, leecher.h);
  links.b = new PeerLink({ ...common, peerId: asPresenceId('leechleech'), userId: 'bob', initiator: false, signal: async (_to, env) => void setImmediate(() => links.a!.signal(env.data)) }, seeder.h);
  t.after(() => (links.a!.close(), links.b!.close()));
  await eventually(() => assert.deepEqual([links.a!.state, links.b!.state], ['ready', 'ready']));
  const before = network.framesSent;
  const asked = [0, 1, 0, 1, 0, 1, 0, 1].map((i) => ({ piece: 0, offset: i * BLOCK_SIZE, length: BLOCK_SIZE }));
  for (const ref of asked) links.a.request(ref);
  await eventually(() => assert.equal(leecher.calls.blocks.length, asked.length));
  assert.equal(network.framesSent - before, 1 + asked.length, 'one frame of requests, then one block frame each');
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
