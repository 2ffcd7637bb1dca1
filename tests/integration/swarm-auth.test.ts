/**
 * A non-member cannot obtain a single piece: the tracker refuses to relay its
 * signals, and a peer refuses a handshake for a file other than the one the
 * connection was signalled for (authorised by the tracker for that file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE, PIECE_SIZE } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeFrame } from '../../protocol/wire.ts';
import type { SignalEnvelope } from '../../protocol/signal.ts';
import { eventually, startTestTracker, userClient } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, rawPeer } from '../helpers/memory-platform.ts';

test('a non-member can neither start a download nor get a signal through', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice] = await groupOf(t, tracker.wsUrl, 'team', ['alice']);
  const a = await memoryEngine(t, alice!, network);
  const bytes = new Uint8Array(randomBytes(2 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'secret.pdf', size: bytes.length, groupId: 'team', keep: 'original' });

  const mallory = await userClient(t, tracker.wsUrl, 'mallory');
  const m = await memoryEngine(t, mallory, network);
  await assert.rejects(m.engine.download(fileId), { code: ErrorCode.NoSuchFile });
  assert.equal(m.engine.info(fileId), undefined);
  await assert.rejects(mallory.request('get_holders', { fileId }), { code: ErrorCode.NoSuchFile });

  // Knowing alice's presence id (say, from an old group) does not help: the tracker refuses to relay.
  const handle = network.connector().connect({ initiator: true, iceServers: [], sendSignal: () => undefined });
  t.after(() => handle.destroy());
  const envelope: SignalEnvelope = { conn: 'mallory-1', data: { type: 'offer', token: 'guess' } };
  await assert.rejects(mallory.request('signal', { fileId, to: alice!.peerId!, data: envelope }), { code: ErrorCode.NoSuchFile });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(network.open.size, 0, 'no channel was ever opened');
  assert.deepEqual(a.engine.info(fileId)!.peers, []);
  assert.equal(a.engine.info(fileId)!.uploaded, 0);
});

test('a peer refuses a handshake for a file the connection was not signalled for', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  // alice shares "public" with bob (group team) and "private" in a group bob is not in.
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  await alice!.request('create_group', { groupId: 'inner' });
  const a = await memoryEngine(t, alice!, network);
  const pub = new Uint8Array(randomBytes(PIECE_SIZE));
  const priv = new Uint8Array(randomBytes(PIECE_SIZE));
  const { fileId: publicId } = await a.engine.share({ source: bytesSource(pub), pieceHashes: pieceHashesOf(pub), name: 'public.txt', size: pub.length, groupId: 'team', keep: 'original' });
  const { fileId: privateId } = await a.engine.share({ source: bytesSource(priv), pieceHashes: pieceHashesOf(priv), name: 'private.txt', size: priv.length, groupId: 'inner', keep: 'original' });
  const bitfield = new Uint8Array(1);
  const peerId = 'ab'.repeat(16);

  // The control: signalled for the public file and asking for it, bob gets alice's handshake and a block.
  const honest = await rawPeer(t, bob!, network, publicId, alice!.peerId!);
  honest.channel.send(encodeFrame({ type: 'handshake', fileId: publicId, peerId, pieceCount: 1, bitfield }));
  honest.channel.send(encodeFrame({ type: 'request', piece: 0, offset: 0, length: BLOCK_SIZE }));
  await eventually(() => assert.ok(honest.frames.some((f) => f.type === 'block'), 'the control probe gets a block'));
  assert.equal(honest.frames[0]!.type, 'handshake');

  // Bob cannot signal for the private file at all...
  await assert.rejects(
    bob!.request('signal', { fileId: privateId, to: alice!.peerId!, data: { conn: 'x', data: {} } satisfies SignalEnvelope }),
    { code: ErrorCode.NoSuchFile },
  );
  // ...so he signals for the public one and then handshakes for the private one: alice hangs up.
  const sneaky = await rawPeer(t, bob!, network, publicId, alice!.peerId!);
  sneaky.channel.send(encodeFrame({ type: 'handshake', fileId: privateId, peerId: 'cd'.repeat(16), pieceCount: 1, bitfield }));
  sneaky.channel.send(encodeFrame({ type: 'request', piece: 0, offset: 0, length: BLOCK_SIZE }));
  await eventually(() => assert.ok(sneaky.isClosed(), 'alice closed the connection'));
  assert.ok(!sneaky.frames.some((f) => f.type === 'block'), 'not one block of the private file');
  assert.equal(a.engine.info(privateId)!.uploaded, 0);
});
