/** The peer wire codec: every frame round-trips; every malformed frame is refused with a code, never a throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BLOCK_SIZE, MAX_PIECES, WIRE_VERSION } from '../../protocol/constants.ts';
import { decodeFrame, encodeFrame, FrameType, WireErrorCode, type Frame } from '../../protocol/wire.ts';

const FILE_ID = '0123456789abcdef0123456789abcdef01234567';
const PEER = 'fedcba9876543210fedcba9876543210';

function roundTrip(frame: Frame): Frame {
  const decoded = decodeFrame(encodeFrame(frame));
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.message);
  return decoded.frame;
}

test('every frame type round-trips', () => {
  const bitfield = new Uint8Array([0b1010_1010, 0b1100_0000]);
  const frames: Frame[] = [
    { type: 'handshake', fileId: FILE_ID, peerId: PEER, pieceCount: 10, bitfield },
    { type: 'have', piece: 0 },
    { type: 'have', piece: MAX_PIECES - 1 },
    { type: 'request', piece: 3, offset: 65536, length: BLOCK_SIZE },
    { type: 'cancel', piece: 3, offset: 65536, length: 1 },
    { type: 'reject', piece: 0xffffffff, offset: 0xffffffff, length: 100 },
    { type: 'block', piece: 7, offset: 131072, data: new Uint8Array([1, 2, 3]) },
    { type: 'block', piece: 7, offset: 0, data: new Uint8Array(BLOCK_SIZE).fill(9) },
  ];
  for (const f of frames) assert.deepEqual(roundTrip(f), f);
});

test('every frame starts with the wire version and its type byte', () => {
  const bytes = encodeFrame({ type: 'request', piece: 1, offset: 0, length: 10 });
  assert.equal(bytes[0], WIRE_VERSION);
  assert.equal(bytes[1], FrameType.Request);
  assert.equal(bytes.length, 14);
});

test('round trips hold for random frames (property)', () => {
  const ref = { piece: fc.nat(0xffffffff), offset: fc.nat(0xffffffff), length: fc.integer({ min: 1, max: BLOCK_SIZE }) };
  const frame: fc.Arbitrary<Frame> = fc.oneof(
    fc.integer({ min: 1, max: 200 }).chain((pieceCount) =>
      fc
        .record({
          fileId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hex),
          peerId: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex),
          bits: fc.uint8Array({ minLength: Math.ceil(pieceCount / 8), maxLength: Math.ceil(pieceCount / 8) }),
        })
        .map(({ fileId, peerId, bits }) => {
          const spare = Math.ceil(pieceCount / 8) * 8 - pieceCount;
          if (spare) bits[bits.length - 1]! &= 0xff << spare;
          return { type: 'handshake' as const, fileId, peerId, pieceCount, bitfield: bits };
        }),
    ),
    fc.record({ type: fc.constant('have' as const), piece: fc.nat(0xffffffff) }),
    fc.record({ type: fc.constantFrom('request' as const, 'cancel' as const, 'reject' as const), ...ref }),
    fc.record({ type: fc.constant('block' as const), piece: fc.nat(0xffffffff), offset: fc.nat(0xffffffff), data: fc.uint8Array({ minLength: 1, maxLength: 2000 }) }),
  );
  // fast-check builds null-prototype records; compare plain copies.
  fc.assert(fc.property(frame, (f) => assert.deepEqual(roundTrip(f), { ...f })));
});

test('decoding a frame inside a larger buffer (a view) works', () => {
  const bytes = encodeFrame({ type: 'have', piece: 42 });
  const big = new Uint8Array(100);
  big.set(bytes, 37);
  const decoded = decodeFrame(big.subarray(37, 37 + bytes.length));
  assert.deepEqual(decoded, { ok: true, frame: { type: 'have', piece: 42 } });
});

function expectError(bytes: Uint8Array, code: WireErrorCode, pattern?: RegExp) {
  const decoded = decodeFrame(bytes);
  assert.equal(decoded.ok, false, 'a malformed frame was accepted');
  if (!decoded.ok) {
    assert.equal(decoded.code, code, decoded.message);
    if (pattern) assert.match(decoded.message, pattern);
  }
}

test('malformed frames are refused with a named code', () => {
  const valid = {
    handshake: encodeFrame({ type: 'handshake', fileId: FILE_ID, peerId: PEER, pieceCount: 10, bitfield: new Uint8Array(2) }),
    have: encodeFrame({ type: 'have', piece: 1 }),
    request: encodeFrame({ type: 'request', piece: 1, offset: 0, length: 10 }),
    block: encodeFrame({ type: 'block', piece: 1, offset: 0, data: new Uint8Array(10) }),
  };
  expectError(new Uint8Array(0), WireErrorCode.TooShort);
  expectError(new Uint8Array([WIRE_VERSION]), WireErrorCode.TooShort);
  const other = valid.have.slice();
  other[0] = WIRE_VERSION + 1;
  expectError(other, WireErrorCode.BadVersion, /version/);
  expectError(new Uint8Array([WIRE_VERSION, 7, 0, 0, 0, 0]), WireErrorCode.UnknownType, /7/); // 6 is `requests` since wire version 2
  expectError(new Uint8Array([WIRE_VERSION, 255]), WireErrorCode.UnknownType);

  // handshake: truncated, trailing bytes, piece count out of range, bits past the end
  expectError(valid.handshake.subarray(0, 20), WireErrorCode.BadLength);
  expectError(valid.handshake.subarray(0, valid.handshake.length - 1), WireErrorCode.BadLength);
  expectError(concat(valid.handshake, [0]), WireErrorCode.BadLength);
  const zeroPieces = valid.handshake.slice(0, 2 + 20 + 16 + 4);
  new DataView(zeroPieces.buffer).setUint32(2 + 20 + 16, 0);
  expectError(zeroPieces, WireErrorCode.BadField, /pieces/);
  const tooMany = valid.handshake.slice();
  new DataView(tooMany.buffer).setUint32(2 + 20 + 16, MAX_PIECES + 1);
  expectError(tooMany, WireErrorCode.BadField);
  const spareBits = valid.handshake.slice();
  spareBits[spareBits.length - 1] = 0b0000_0001; // bit 15 of a 10-piece file
  expectError(spareBits, WireErrorCode.BadField, /past the last piece/);

  // have
  expectError(valid.have.subarray(0, 5), WireErrorCode.BadLength);
  expectError(concat(valid.have, [0]), WireErrorCode.BadLength);

  // request, cancel, reject: length and range
  for (const type of [FrameType.Request, FrameType.Cancel, FrameType.Reject]) {
    const f = valid.request.slice();
    f[1] = type;
    expectError(f.subarray(0, 13), WireErrorCode.BadLength);
    expectError(concat(f, [0]), WireErrorCode.BadLength);
    const zero = f.slice();
    new DataView(zero.buffer).setUint32(10, 0);
    expectError(zero, WireErrorCode.BadField);
    const huge = f.slice();
    new DataView(huge.buffer).setUint32(10, BLOCK_SIZE + 1);
    expectError(huge, WireErrorCode.BadField, new RegExp(String(BLOCK_SIZE)));
  }

  // block: no data, too much data, header cut short
  expectError(valid.block.subarray(0, 10), WireErrorCode.BadLength);
  expectError(valid.block.subarray(0, 7), WireErrorCode.BadLength);
  expectError(concat(valid.block.subarray(0, 10), new Array(BLOCK_SIZE + 1).fill(0)), WireErrorCode.BadField);
});

test('decoding never throws, whatever the bytes (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(5), (bytes, type) => {
      const framed = bytes.length >= 2 ? bytes : new Uint8Array([WIRE_VERSION, type]);
      framed[0] = WIRE_VERSION;
      const decoded = decodeFrame(framed);
      assert.ok(decoded.ok === true || typeof decoded.message === 'string', 'a frame or an error message');
    }),
  );
  assert.equal(decodeFrame('not bytes' as unknown as Uint8Array).ok, false);
});

test('encoding refuses what we must never send', () => {
  assert.throws(() => encodeFrame({ type: 'request', piece: 0, offset: 0, length: BLOCK_SIZE + 1 }), RangeError);
  assert.throws(() => encodeFrame({ type: 'request', piece: -1, offset: 0, length: 1 }), RangeError);
  assert.throws(() => encodeFrame({ type: 'block', piece: 0, offset: 0, data: new Uint8Array(0) }), RangeError);
  assert.throws(() => encodeFrame({ type: 'handshake', fileId: 'xyz', peerId: PEER, pieceCount: 8, bitfield: new Uint8Array(1) }), RangeError);
  assert.throws(() => encodeFrame({ type: 'handshake', fileId: FILE_ID, peerId: PEER, pieceCount: 9, bitfield: new Uint8Array(1) }), RangeError);
});

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
function concat(a: Uint8Array, b: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
