/**
 * Issue 8, items 2 and 15 (/mesh): before a link proves the secret it reads
 * only small handshake frames, and only so many such sockets are held; after
 * the proof, frames up to MESH_MAX_FRAME_BYTES pass (a 16k-hash file
 * replicates), and a hostile frame from a proved peer closes that link only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/errors.ts';
import { MESH_HANDSHAKE_MAX_FRAME_BYTES, MESH_MAX_PENDING_LINKS } from '../../protocol/mesh.ts';
import { MAX_PIECES, PIECE_SIZE } from '../../protocol/constants.ts';
import { fileIdOf } from '../../protocol/files.ts';
import { deepArray, meshAuth, rawMesh } from '../helpers/hostile.ts';
import { connectClient, eventually, startTestTracker, userClient } from '../helpers/tracker.ts';

test('before the proof, a frame over the handshake cap closes the socket with 1009', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 's3cret' });
  const m = await rawMesh(t, a.port);
  await eventually(() => assert.equal(m.messages.length, 1));
  m.send('"' + 'x'.repeat(MESH_HANDSHAKE_MAX_FRAME_BYTES + 10) + '"');
  assert.equal(await m.closed, CloseCode.MessageTooBig);
});

test('only so many sockets may sit in the mesh handshake; more get 503', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 's3cret' });
  for (let i = 0; i < MESH_MAX_PENDING_LINKS; i++) await rawMesh(t, a.port);
  await assert.rejects(rawMesh(t, a.port), /503/);
  // Clients are not affected.
  const client = await connectClient(t, a.wsUrl);
  assert.ok(client.peerId);
});

test('after the proof, big frames pass: 16,384-hash files replicate both ways, in catch-up and live', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 's3cret' });
  const alice = await userClient(t, a.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'big' });
  const bigFile = (name: string) => {
    const meta = {
      groupId: 'big',
      name,
      size: MAX_PIECES * PIECE_SIZE,
      pieceSize: PIECE_SIZE,
      pieceHashes: Array.from({ length: MAX_PIECES }, (_, i) => (i + name.length).toString(16).padStart(40, '0')),
    };
    return { fileId: fileIdOf(meta), meta };
  };
  const first = bigFile('first.bin');
  await alice.request('upload_file', first);
  // b dials after the upload: the catch-up reaches the dialer in one big frame.
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 's3cret', peers: [`ws://127.0.0.1:${a.port}`] });
  await eventually(() => assert.ok(b.core.state.files.has(first.fileId), 'catch-up to the dialer'), 10_000);
  const aliceOnB = await userClient(t, b.wsUrl, 'alice');
  const second = bigFile('second-file.bin');
  await aliceOnB.request('upload_file', second);
  await eventually(() => assert.ok(a.core.state.files.has(second.fileId), 'live, to the acceptor'), 10_000);
});

test('a proved peer that sends a deep signal loses that link; the tracker goes on', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 's3cret' });
  const m = await rawMesh(t, a.port);
  await eventually(() => assert.equal(m.messages.length, 1));
  m.send(meshAuth(m.messages[0]!.nonce as string, 's3cret', 'intruder-with-secret'));
  await eventually(() => assert.ok(m.messages.some((x) => x.type === 'welcome')));
  const deep = `{"type":"signal","to":"peer-abcdefgh","event":{"event":"signal","fileId":"${'a'.repeat(40)}","from":"peer-abcdefgh","fromUser":"x","data":${deepArray(5000)}}}`;
  m.send(deep);
  assert.equal(await m.closed, 1003, 'unreadable message');
  const client = await connectClient(t, a.wsUrl);
  assert.ok(client.peerId, 'a normal client is served');
  // And a well-behaved link still comes up afterwards.
  const again = new WebSocket(`ws://127.0.0.1:${a.port}/mesh`);
  t.after(() => again.terminate());
  await new Promise((resolve) => again.once('open', resolve));
});
