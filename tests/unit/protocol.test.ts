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

test('hostile values: an object type never reaches String(), deep signal data is refused before re-serialising', async () => {
  const { nestingWithin } = await import('../../protocol/depth.ts');
  const { MAX_SIGNAL_BYTES, MAX_SIGNAL_DEPTH } = await import('../../protocol/constants.ts');
  const { SignalMessage, parseHandshakeMessage, parseLinkMessage, safeParseValue } = await import('../../protocol/mesh.ts');
  for (const type of ['{"toString":1}', '[{"toString":1}]', '{"toString":{},"valueOf":{}}', '1e400', 'null']) {
    const r = parseRequest(`{"id":"x","type":${type}}`);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, ErrorCode.UnknownType, type);
  }
  const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
  const signal = (data: string) => `{"id":"s","type":"signal","fileId":"${'a'.repeat(40)}","to":"peer-abcdefgh","data":${data}}`;
  assert.equal(parseRequest(signal(deep(MAX_SIGNAL_DEPTH))).ok, true, 'at the limit');
  for (const d of [MAX_SIGNAL_DEPTH + 1, 5000, 100_000]) {
    const r = parseRequest(signal(deep(d)));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, ErrorCode.InvalidMessage, `depth ${d}`);
  }
  const many = parseRequest(`{"id":"k","type":"ping",${Array.from({ length: 5000 }, (_, i) => `"k${i}":1`).join(',')}}`);
  assert.ok(!many.ok && many.error.message.length <= 200, 'a frame of many bad keys gets a short message');
  assert.ok(nestingWithin({ a: [1, { b: 2 }] }, 3) && !nestingWithin({ a: [1, { b: 2 }] }, 2));
  assert.ok(nestingWithin(JSON.parse('{"__proto__":{"x":1}}'), 2) && !nestingWithin(JSON.parse('{"__proto__":{"x":[]}}'), 2), '__proto__ is walked as an own key');
  // Mesh and NATS parsers: a relayed signal's data is the sender's JSON text, carried as a string and never parsed
  // by a tracker (the receiving client reads it: signals-frame.ts); data of any other type is malformed, whatever
  // its depth, and nothing throws.
  const meshSignal = (data: string) => `{"type":"signal","to":"peer-abcdefgh","signal":{"fileId":"${'a'.repeat(40)}","from":"peer-abcdefgh","fromUser":"x","data":${data}}}`;
  assert.equal(parseLinkMessage(meshSignal(deep(5000))), undefined);
  assert.ok(parseLinkMessage(meshSignal(JSON.stringify('{"type":"offer"}'))));
  assert.equal(parseLinkMessage(meshSignal('{"type":"offer"}')), undefined, 'data as a JSON value (mesh protocol 2) is refused');
  assert.equal(parseLinkMessage(meshSignal(JSON.stringify('x'.repeat(MAX_SIGNAL_BYTES + 1)))), undefined, 'over the signal limit');
  assert.equal(parseHandshakeMessage(meshSignal(JSON.stringify('{"type":"offer"}'))), undefined, 'before the proof, only the handshake is read');
  assert.equal(safeParseValue(SignalMessage, JSON.parse(meshSignal(deep(5000)))), undefined);
  assert.equal(SignalMessage.safeParse(JSON.parse(meshSignal(deep(5000)))).success, false, 'the schema itself never throws');
});
