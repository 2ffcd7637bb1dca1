/** Schemas at the edge, file identity, bitfields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from '../../protocol/tracker.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { fileIdOf } from '../../protocol/files.ts';
import { Bitfield, base64ToBytes, bytesToBase64 } from '../../protocol/bitfield.ts';
import { MAX_SIGNAL_BYTES, PIECE_SIZE } from '../../protocol/constants.ts';

test('parseRequest accepts a well-formed request and types it', () => {
  const r = parseRequest(JSON.stringify({ id: '1', type: 'join_group', groupId: 'photos' }));
  assert.deepEqual(r, { ok: true, request: { id: '1', type: 'join_group', groupId: 'photos' } });
});

test('parseRequest names the field that is wrong', () => {
  const r = parseRequest(JSON.stringify({ id: '7', type: 'login', userId: 'ann' }));
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.id, '7');
  assert.equal(r.error.code, ErrorCode.InvalidMessage);
  assert.match(r.error.message, /login: password/);
});

test('a signal with oversized data is refused', () => {
  const r = parseRequest(
    JSON.stringify({ id: '1', type: 'signal', fileId: 'a'.repeat(40), to: 'abcdefgh', data: 'x'.repeat(MAX_SIGNAL_BYTES) }),
  );
  assert.equal(r.ok, false);
});

test('a file id is the SHA-1 of its canonical metadata: any change makes another id', () => {
  const meta = { groupId: 'g', name: 'a.txt', size: 3, pieceSize: PIECE_SIZE as typeof PIECE_SIZE, pieceHashes: ['a'.repeat(40)] };
  const id = fileIdOf(meta);
  assert.match(id, /^[0-9a-f]{40}$/);
  assert.equal(fileIdOf({ ...meta }), id);
  assert.notEqual(fileIdOf({ ...meta, name: 'b.txt' }), id);
  assert.notEqual(fileIdOf({ ...meta, groupId: 'h' }), id);
  assert.notEqual(fileIdOf({ ...meta, pieceHashes: ['b'.repeat(40)] }), id);
});

test('bitfields: set, has, count, spare bits stay zero, base64 round trip', () => {
  const b = new Bitfield(10);
  b.set(0);
  b.set(9);
  b.set(10); // out of range: ignored
  assert.equal(b.has(0) && b.has(9), true);
  assert.equal(b.has(5), false);
  assert.equal(b.count(), 2);
  assert.deepEqual([...b.bytes], [0x80, 0x40]);
  const dirty = new Bitfield(10, new Uint8Array([0xff, 0xff]));
  assert.equal(dirty.count(), 10, 'bits past the length are cleared');
  assert.equal(Bitfield.fromBase64(10, b.toBase64()).count(), 2);
  assert.ok(Bitfield.full(10).isComplete());
  const bytes = new Uint8Array(70_000).map((_, i) => i & 255);
  assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
});
