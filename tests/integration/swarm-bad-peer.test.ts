/**
 * A peer that speaks the wire badly: garbage, frames before the handshake,
 * requests for what we do not have or that do not fit, floods of requests,
 * blocks nobody asked for. Each gets a clear answer (reject, or the link is
 * closed); nothing throws into the transport, and the engine keeps serving
 * everyone else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { BLOCK_SIZE, MAX_QUEUED_REQUESTS, PIECE_SIZE, WIRE_VERSION } from '../../protocol/constants.ts';
import { encodeFrame } from '../../protocol/wire.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, rawPeer, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

async function setup(t: Parameters<typeof startTestTracker>[0]) {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob, carol] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob', 'carol']);
  const a = await memoryEngine(t, alice!, network);
  const bytes = new Uint8Array(randomBytes(3 * PIECE_SIZE + 10));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'f', size: bytes.length, groupId: 'team', keep: 'original' });
  const open = () => rawPeer(t, bob!, network, fileId, alice!.peerId!);
  const handshake = (bits = new Uint8Array(1)) => encodeFrame({ type: 'handshake', fileId, peerId: 'ab'.repeat(16), pieceCount: 4, bitfield: bits });
  return { a, bytes, fileId, open, handshake, bob: bob!, carol: carol!, network };
}

test('garbage, a wrong version, or a frame before the handshake closes the link; others are unaffected', async (t) => {
  const { a, bytes, fileId, open, carol, network } = await setup(t);
  const cases: [string, Uint8Array][] = [
    ['garbage', new Uint8Array([1, 2, 3, 4, 5])],
    ['another wire version', new Uint8Array([WIRE_VERSION + 1, 0])],
    ['a request before the handshake', encodeFrame({ type: 'request', piece: 0, offset: 0, length: BLOCK_SIZE })],
    ['an empty frame', new Uint8Array(0)],
  ];
  for (const [what, frame] of cases) {
    const peer = await open();
    peer.channel.send(frame);
    await eventually(() => assert.ok(peer.isClosed(), `${what}: the link is closed`));
    assert.ok(!peer.frames.some((f) => f.type === 'block'), `${what}: no block`);
  }
  // The seeder is fine: a proper downloader gets the file.
  const c = await memoryEngine(t, carol, network);
  await c.engine.download(fileId);
  await c.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(c.engine, fileId)), sha1(bytes));
  assert.equal(a.engine.info(fileId)!.state, 'complete');
});

test('requests that do not fit are rejected, one reject per request, and the link lives on', async (t) => {
  const { open, handshake, bytes } = await setup(t);
  const peer = await open();
  peer.channel.send(handshake());
  const bad = [
    { piece: 9, offset: 0, length: BLOCK_SIZE }, // no such piece
    { piece: 0, offset: 100, length: BLOCK_SIZE }, // not on a block boundary
    { piece: 3, offset: 0, length: BLOCK_SIZE }, // the last piece is 10 bytes
    { piece: 0, offset: PIECE_SIZE, length: BLOCK_SIZE }, // past the piece's end
  ];
  for (const ref of bad) peer.channel.send(encodeFrame({ type: 'request', ...ref }));
  peer.channel.send(encodeFrame({ type: 'request', piece: 3, offset: 0, length: 10 }));
  await eventually(() => assert.equal(peer.frames.filter((f) => f.type === 'reject').length, bad.length, JSON.stringify({ frames: peer.frames.map((f) => f.type), closed: peer.isClosed() })));
  const rejects = peer.frames.filter((f) => f.type === 'reject');
  assert.deepEqual(rejects.map((f) => ({ ...f, type: undefined })), bad.map((r) => ({ ...r, type: undefined })));
  await eventually(() => assert.ok(peer.frames.some((f) => f.type === 'block'), 'the fitting request is served'));
  const block = peer.frames.find((f) => f.type === 'block')!;
  assert.ok(block.type === 'block', 'a block frame');
  assert.deepEqual(block.data, bytes.subarray(3 * PIECE_SIZE));
  assert.ok(!peer.isClosed(), 'the link lives on');
});

test('a flood of requests is bounded: beyond MAX_QUEUED_REQUESTS they are rejected', async (t) => {
  const { open, handshake, a, fileId } = await setup(t);
  const peer = await open();
  peer.channel.send(handshake());
  const n = MAX_QUEUED_REQUESTS + 50;
  for (let i = 0; i < n; i++) peer.channel.send(encodeFrame({ type: 'request', piece: 0, offset: 0, length: BLOCK_SIZE }));
  await eventually(() => {
    const blocks = peer.frames.filter((f) => f.type === 'block').length;
    const rejects = peer.frames.filter((f) => f.type === 'reject').length;
    assert.equal(blocks + rejects, n, `${blocks} blocks + ${rejects} rejects`);
    assert.ok(rejects >= 1, 'some were rejected');
  });
  assert.ok(a.engine.info(fileId)!.uploaded <= n * BLOCK_SIZE, 'no more blocks than requests');
});

test('a cancelled request is not served', async (t) => {
  const { open, handshake } = await setup(t);
  const peer = await open();
  peer.channel.send(handshake());
  // Many requests, then cancel the last: it is still queued behind the others when the cancel lands.
  for (let b = 0; b < 8; b++) peer.channel.send(encodeFrame({ type: 'request', piece: 1, offset: b * BLOCK_SIZE, length: BLOCK_SIZE }));
  for (let b = 0; b < 8; b++) peer.channel.send(encodeFrame({ type: 'request', piece: 2, offset: b * BLOCK_SIZE, length: BLOCK_SIZE }));
  peer.channel.send(encodeFrame({ type: 'cancel', piece: 2, offset: 7 * BLOCK_SIZE, length: BLOCK_SIZE }));
  await eventually(() => assert.equal(peer.frames.filter((f) => f.type === 'block').length, 15));
  await new Promise((r) => setTimeout(r, 100));
  const blocks = peer.frames.filter((f) => f.type === 'block');
  assert.equal(blocks.length, 15);
  assert.ok(!blocks.some((f) => f.type === 'block' && f.piece === 2 && f.offset === 7 * BLOCK_SIZE), 'the cancelled block was not sent');
});

test('a downloader ignores blocks nobody asked for, and never stores them', async (t) => {
  const { a, bytes, fileId, bob, carol, network } = await setup(t);
  a.engine.setLimits({ uploadBytesPerSecond: 512 * 1024 }); // carol is downloading for a few seconds
  const c = await memoryEngine(t, carol, network);
  const failed: unknown[] = [];
  c.engine.on('piece_failed', (e) => failed.push(e));
  await c.engine.download(fileId);
  // bob dials carol holding nothing (so she asks him for nothing) and pushes junk blocks anyway.
  const peer = await rawPeer(t, bob, network, fileId, carol.peerId!);
  peer.channel.send(encodeFrame({ type: 'handshake', fileId, peerId: 'ee'.repeat(16), pieceCount: 4, bitfield: new Uint8Array(1) }));
  for (let p = 0; p < 4; p++) {
    for (let off = 0; off < (p === 3 ? 10 : PIECE_SIZE); off += BLOCK_SIZE) {
      peer.channel.send(encodeFrame({ type: 'block', piece: p, offset: off, data: new Uint8Array(Math.min(BLOCK_SIZE, p === 3 ? 10 : BLOCK_SIZE)).fill(7) }));
    }
  }
  await c.engine.whenComplete(fileId);
  assert.equal(sha1(await readAll(c.engine, fileId)), sha1(bytes), 'byte-exact: the junk never got in');
  assert.deepEqual(failed, [], 'not even into a piece being assembled');
  assert.equal(c.store.writes.length, 4, 'one write per piece');
  assert.equal(peer.frames.filter((f) => f.type === 'request').length, 0, 'bob, holding nothing, was asked for nothing');
});
