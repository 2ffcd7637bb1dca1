/**
 * One PeerLink on its own: its states (dialing → open → ready → closed), its
 * handshake checks, its connect timeout and its serving, with a recording
 * LinkHost and two links joined over MemoryNetwork. No swarm, no tracker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_SIZE } from '../../protocol/constants.ts';
import { asConnId, asPresenceId } from '../../protocol/ids.ts';
import { PeerLink } from '../../client/peer-link.ts';
import { MemoryNetwork } from '../helpers/memory-platform.ts';
import { FILE_ID, PIECE, linkHost as host, linkPair as pair } from '../helpers/peer-link-harness.ts';
import { eventually } from '../helpers/tracker.ts';

test('dialing → ready on both sides once each admits the other; closing one ends the other', async (t) => {
  const A = host({ holds: true });
  const B = host();
  const { a, b } = pair(t, A.h, B.h);
  assert.equal(a.state, 'dialing');
  assert.equal(b.state, 'dialing');
  await eventually(() => assert.deepEqual([a.state, b.state], ['ready', 'ready']));
  assert.equal(A.calls.ready, 1);
  assert.equal(a.instance, B.h.instanceId, 'a knows b by its instance id');
  assert.ok(a.bits!.isEmpty() && b.bits!.has(0), 'each has the other\'s bitfield');
  a.close('bye');
  assert.equal(a.state, 'closed');
  assert.deepEqual(A.calls.closed, ['bye']);
  await eventually(() => assert.deepEqual(B.calls.closed, ['channel closed']));
  a.close('again');
  assert.deepEqual(A.calls.closed, ['bye'], 'closed once');
});

test('a handshake the host refuses closes the link with the host\'s reason, never ready', async (t) => {
  const A = host({ holds: true });
  const B = host({ refuse: 'dropped for bad pieces' });
  const { b } = pair(t, A.h, B.h);
  await eventually(() => assert.deepEqual(B.calls.closed, ['dropped for bad pieces']));
  assert.equal(b.state, 'closed');
  assert.equal(B.calls.ready, 0);
});

test('a handshake for another file, or a second one, closes the link', async (t) => {
  const A = host({ holds: true });
  const B = host();
  (B.h as { fileId: string }).fileId = 'cd'.repeat(20);
  pair(t, A.h, B.h);
  await eventually(() => assert.ok([...A.calls.closed, ...B.calls.closed].includes('handshake for another file'), JSON.stringify([A.calls.closed, B.calls.closed])));
  assert.equal(A.calls.ready + B.calls.ready, 0);

  const C = host({ holds: true });
  const D = host();
  const { a: c } = pair(t, C.h, D.h);
  await eventually(() => assert.equal(c.state, 'ready'));
  c.send({ type: 'handshake', fileId: FILE_ID, peerId: C.h.instanceId, pieceCount: 1, bitfield: C.h.have.bytes });
  await eventually(() => assert.deepEqual(D.calls.closed, ['second handshake']));
});

test('a dial nobody answers is closed at the connect timeout', async (t) => {
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const A = host();
  const a = new PeerLink({ conn: asConnId('c-2'), peerId: asPresenceId('ghostghost'), userId: 'ghost', initiator: true, connector: network.connector(), iceServers: [], signal: async () => undefined, connectTimeoutMs: 50 }, A.h);
  await eventually(() => assert.deepEqual(A.calls.closed, ['connect timeout']));
  assert.equal(a.state, 'closed');
});

test('serving: a request it can serve gets its block, one it cannot gets a reject', async (t) => {
  const A = host({ holds: true });
  const B = host();
  const { b } = pair(t, A.h, B.h);
  await eventually(() => assert.equal(b.state, 'ready'));
  b.send({ type: 'request', piece: 0, offset: BLOCK_SIZE, length: BLOCK_SIZE });
  b.send({ type: 'request', piece: 0, offset: 1, length: BLOCK_SIZE });
  await eventually(() => assert.equal(B.calls.blocks.length, 1));
  assert.deepEqual(B.calls.blocks[0]!.data, PIECE.subarray(BLOCK_SIZE));
  assert.equal(A.calls.served, BLOCK_SIZE);
  await eventually(() => assert.deepEqual(B.calls.rejects.map((r) => r.offset), [1]));
});
