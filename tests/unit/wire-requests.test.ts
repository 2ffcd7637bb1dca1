/**
 * Peer wire version 2: several block requests in one `requests` frame, block
 * frames encoded into a reused buffer, and a peer on another wire version
 * named plainly (which side is older, what to do).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BLOCK_SIZE, MAX_REQUESTS_PER_FRAME, WIRE_VERSION } from '../../protocol/constants.ts';
import { BLOCK_HEADER_BYTES, decodeFrame, encodeBlockInto, encodeFrame, FrameType, MAX_BLOCK_FRAME_BYTES, WireErrorCode, type BlockRef } from '../../protocol/wire.ts';
import { wireMismatchReason } from '../../client/connection-path.ts';

const refs = (n: number): BlockRef[] => Array.from({ length: n }, (_, i) => ({ piece: i >> 3, offset: (i & 7) * BLOCK_SIZE, length: BLOCK_SIZE }));

test('a requests frame round-trips its requests in order, 12 bytes each', () => {
  for (const n of [1, 2, 8, MAX_REQUESTS_PER_FRAME]) {
    const bytes = encodeFrame({ type: 'requests', refs: refs(n) });
    assert.equal(bytes[0], WIRE_VERSION);
    assert.equal(bytes[1], FrameType.Requests);
    assert.equal(bytes.length, 2 + 12 * n);
    const d = decodeFrame(bytes);
    assert.ok(d.ok && d.frame.type === 'requests');
    assert.deepEqual(d.frame.refs, refs(n));
  }
  const ref = { piece: fc.nat(0xffffffff), offset: fc.nat(0xffffffff), length: fc.integer({ min: 1, max: BLOCK_SIZE }) };
  fc.assert(
    fc.property(fc.array(fc.record(ref), { minLength: 1, maxLength: MAX_REQUESTS_PER_FRAME }), (rs) => {
      const d = decodeFrame(encodeFrame({ type: 'requests', refs: rs }));
      assert.ok(d.ok && d.frame.type === 'requests');
      assert.deepEqual(d.frame.refs, rs.map((r) => ({ ...r })));
    }),
  );
});

test('hostile requests frames are refused with a named code, never a throw', () => {
  const valid = encodeFrame({ type: 'requests', refs: refs(3) });
  const expect = (bytes: Uint8Array, code: WireErrorCode, message?: RegExp) => {
    const d = decodeFrame(bytes);
    assert.ok(!d.ok, 'refused');
    assert.equal(d.code, code, d.message);
    if (message) assert.match(d.message, message);
  };
  expect(valid.subarray(0, 2), WireErrorCode.BadLength); // no request at all
  expect(valid.subarray(0, valid.length - 1), WireErrorCode.BadLength); // a request cut short
  const long = new Uint8Array(valid.length + 5);
  long.set(valid);
  expect(long, WireErrorCode.BadLength); // trailing bytes
  const zero = valid.slice();
  new DataView(zero.buffer).setUint32(2 + 12 + 8, 0); // the second request asks for 0 bytes
  expect(zero, WireErrorCode.BadField, /request 2/);
  const huge = valid.slice();
  new DataView(huge.buffer).setUint32(2 + 8, BLOCK_SIZE + 1);
  expect(huge, WireErrorCode.BadField, new RegExp(String(BLOCK_SIZE)));
  const tooMany = new Uint8Array(2 + 12 * (MAX_REQUESTS_PER_FRAME + 1));
  tooMany.set(valid.subarray(0, 2));
  expect(tooMany, WireErrorCode.BadField, new RegExp(String(MAX_REQUESTS_PER_FRAME)));
  // and we never send such frames ourselves
  assert.throws(() => encodeFrame({ type: 'requests', refs: [] }), RangeError);
  assert.throws(() => encodeFrame({ type: 'requests', refs: refs(MAX_REQUESTS_PER_FRAME + 1) }), RangeError);
  assert.throws(() => encodeFrame({ type: 'requests', refs: [{ piece: 0, offset: 0, length: BLOCK_SIZE + 1 }] }), RangeError);
});

test('a block encoded into a reused buffer is the same frame encodeFrame builds, and reusing the buffer does not change a copy taken', () => {
  const buf = new Uint8Array(MAX_BLOCK_FRAME_BYTES);
  const a = new Uint8Array(BLOCK_SIZE).fill(1);
  const b = new Uint8Array(100).fill(2);
  const fa = encodeBlockInto(buf, 3, 65536, a);
  assert.deepEqual(fa, encodeFrame({ type: 'block', piece: 3, offset: 65536, data: a }));
  const copy = fa.slice(); // what a channel keeps
  const fb = encodeBlockInto(buf, 4, 0, b);
  assert.equal(fb.length, BLOCK_HEADER_BYTES + 100);
  assert.deepEqual(fb, encodeFrame({ type: 'block', piece: 4, offset: 0, data: b }));
  assert.equal(fb.buffer, buf.buffer, 'no new buffer');
  const d = decodeFrame(copy);
  assert.ok(d.ok && d.frame.type === 'block' && d.frame.piece === 3 && d.frame.data.every((x) => x === 1));
  assert.throws(() => encodeBlockInto(new Uint8Array(50), 0, 0, b), RangeError, 'too small a buffer');
  assert.throws(() => encodeBlockInto(buf, 0, 0, new Uint8Array(0)), RangeError, 'an empty block');
});

test('a frame of another wire version is refused with that version, and the reason says which side is older', () => {
  const old = encodeFrame({ type: 'have', piece: 1 });
  old[0] = WIRE_VERSION - 1;
  const d = decodeFrame(old);
  assert.ok(!d.ok);
  assert.equal(d.code, WireErrorCode.BadVersion);
  assert.equal(d.version, WIRE_VERSION - 1);
  assert.match(wireMismatchReason('alice', WIRE_VERSION - 1), /^alice runs an older Meshdrop .*alice needs to reload the page or update the meshdrop command$/);
  assert.match(wireMismatchReason('alice', WIRE_VERSION + 1), /^alice runs a newer Meshdrop .*reload this page/);
});
