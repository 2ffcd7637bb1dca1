/**
 * Browser ⇄ browser frames: binary, one frame per data-channel message.
 *
 * Every frame starts with two bytes: the wire version (WIRE_VERSION) and the
 * frame type. Integers are unsigned 32-bit big-endian.
 *
 * | type          | body                                                                    |
 * |---------------|-------------------------------------------------------------------------|
 * | 0 handshake   | file id (20 bytes, SHA-1), peer id (16 bytes), piece count, bitfield   |
 * | 1 have        | piece                                                                   |
 * | 2 request     | piece, offset, length                                                   |
 * | 3 block       | piece, offset, data (1..BLOCK_SIZE bytes)                               |
 * | 4 cancel      | piece, offset, length                                                   |
 * | 5 reject      | piece, offset, length                                                   |
 * | 6 requests    | 1..MAX_REQUESTS_PER_FRAME × (piece, offset, length)                     |
 *
 * `requests` (wire version 2) asks for several blocks in one message: the
 * same as that many `request` frames in that order, each answered (block or
 * reject) on its own.
 *
 * The handshake's peer id is a random id per client instance, stable across
 * tracker reconnections (the tracker's presence id changes with each
 * connection), so two links to one peer are recognised and one is closed.
 *
 * `decodeFrame` never throws: a malformed frame comes back as an error with a
 * code and a message, so a bad peer cannot take down the transport's callback.
 */
import { BLOCK_SIZE, MAX_PIECES, MAX_REQUESTS_PER_FRAME, WIRE_VERSION } from './constants.ts';

export const FrameType = { Handshake: 0, Have: 1, Request: 2, Block: 3, Cancel: 4, Reject: 5, Requests: 6 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Bytes of a file id (SHA-1) and of a handshake's peer id. */
export const FILE_ID_BYTES = 20;
export const PEER_ID_BYTES = 16;

/** A block address: `length` bytes at `offset` within piece `piece`. */
export interface BlockRef {
  piece: number;
  offset: number;
  length: number;
}

export type Frame =
  | {
      type: 'handshake';
      /** Lowercase hex SHA-1, as everywhere else. */
      fileId: string;
      /** Lowercase hex of PEER_ID_BYTES random bytes. */
      peerId: string;
      pieceCount: number;
      /** Bitfield bytes (protocol/bitfield.ts), exactly ceil(pieceCount / 8), spare bits zero. */
      bitfield: Uint8Array;
    }
  | { type: 'have'; piece: number }
  | ({ type: 'request' } & BlockRef)
  | { type: 'block'; piece: number; offset: number; data: Uint8Array }
  | ({ type: 'cancel' } & BlockRef)
  | ({ type: 'reject' } & BlockRef)
  | { type: 'requests'; refs: BlockRef[] };

export const WireErrorCode = {
  TooShort: 'too_short',
  BadVersion: 'bad_version',
  UnknownType: 'unknown_type',
  /** The frame's length does not match what its type requires. */
  BadLength: 'bad_length',
  /** A field is out of range (piece count, block length, spare bitfield bits). */
  BadField: 'bad_field',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

export type Decoded =
  | { ok: true; frame: Frame }
  /** `version` is the frame's wire version when that is what was wrong (code BadVersion). */
  | { ok: false; code: WireErrorCode; message: string; version?: number };

const HEADER = 2;
const REF_BYTES = 12;
/** Bytes of a block frame before its data: header, piece, offset. */
export const BLOCK_HEADER_BYTES = HEADER + 8;
/** The largest block frame: what a reusable frame buffer for encodeBlockInto needs. */
export const MAX_BLOCK_FRAME_BYTES = BLOCK_HEADER_BYTES + BLOCK_SIZE;
const HANDSHAKE_FIXED = HEADER + FILE_ID_BYTES + PEER_ID_BYTES + 4;

// ---------------------------------------------------------------- encode

function header(type: FrameType, bodyBytes: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(HEADER + bodyBytes);
  bytes[0] = WIRE_VERSION;
  bytes[1] = type;
  return { bytes, view: new DataView(bytes.buffer) };
}

function checkU32(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${name} must be a 32-bit unsigned integer, got ${n}`);
}

function checkRef(ref: BlockRef): void {
  checkU32('piece', ref.piece);
  checkU32('offset', ref.offset);
  if (!Number.isInteger(ref.length) || ref.length < 1 || ref.length > BLOCK_SIZE) {
    throw new RangeError(`a block is 1..${BLOCK_SIZE} bytes, got ${ref.length}`);
  }
}

/**
 * Encodes a frame. Throws RangeError on values we would never send (our own
 * bug, not a peer's): decode is the side that must be forgiving.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case 'handshake': {
      checkU32('pieceCount', frame.pieceCount);
      const bitfieldBytes = Math.ceil(frame.pieceCount / 8);
      if (frame.bitfield.length !== bitfieldBytes) {
        throw new RangeError(`a bitfield for ${frame.pieceCount} pieces has ${bitfieldBytes} bytes, not ${frame.bitfield.length}`);
      }
      const { bytes, view } = header(FrameType.Handshake, FILE_ID_BYTES + PEER_ID_BYTES + 4 + bitfieldBytes);
      bytes.set(hexToBytes(frame.fileId, FILE_ID_BYTES, 'fileId'), HEADER);
      bytes.set(hexToBytes(frame.peerId, PEER_ID_BYTES, 'peerId'), HEADER + FILE_ID_BYTES);
      view.setUint32(HEADER + FILE_ID_BYTES + PEER_ID_BYTES, frame.pieceCount);
      bytes.set(frame.bitfield, HANDSHAKE_FIXED);
      return bytes;
    }
    case 'have': {
      checkU32('piece', frame.piece);
      const { bytes, view } = header(FrameType.Have, 4);
      view.setUint32(HEADER, frame.piece);
      return bytes;
    }
    case 'request':
    case 'cancel':
    case 'reject': {
      checkRef(frame);
      const type = frame.type === 'request' ? FrameType.Request : frame.type === 'cancel' ? FrameType.Cancel : FrameType.Reject;
      const { bytes, view } = header(type, REF_BYTES);
      view.setUint32(HEADER, frame.piece);
      view.setUint32(HEADER + 4, frame.offset);
      view.setUint32(HEADER + 8, frame.length);
      return bytes;
    }
    case 'block':
      return encodeBlockInto(new Uint8Array(BLOCK_HEADER_BYTES + frame.data.length), frame.piece, frame.offset, frame.data);
    case 'requests': {
      if (frame.refs.length < 1 || frame.refs.length > MAX_REQUESTS_PER_FRAME) {
        throw new RangeError(`a requests frame carries 1..${MAX_REQUESTS_PER_FRAME} requests, got ${frame.refs.length}`);
      }
      const { bytes, view } = header(FrameType.Requests, REF_BYTES * frame.refs.length);
      let at = HEADER;
      for (const ref of frame.refs) {
        checkRef(ref);
        view.setUint32(at, ref.piece);
        view.setUint32(at + 4, ref.offset);
        view.setUint32(at + 8, ref.length);
        at += REF_BYTES;
      }
      return bytes;
    }
  }
}

/**
 * Encodes a block frame into `target` (at least BLOCK_HEADER_BYTES +
 * data.length bytes) and returns the view of it that is the frame. A server
 * reuses one buffer for every block it sends, since a channel copies a frame
 * before `send` returns (PeerChannel.send): no 64 KiB allocation per block.
 */
export function encodeBlockInto(target: Uint8Array, piece: number, offset: number, data: Uint8Array): Uint8Array {
  checkRef({ piece, offset, length: data.length });
  const n = BLOCK_HEADER_BYTES + data.length;
  if (target.length < n) throw new RangeError(`a block frame of ${n} bytes does not fit in ${target.length}`);
  const view = new DataView(target.buffer, target.byteOffset, n);
  target[0] = WIRE_VERSION;
  target[1] = FrameType.Block;
  view.setUint32(HEADER, piece);
  view.setUint32(HEADER + 4, offset);
  target.set(data, BLOCK_HEADER_BYTES);
  return target.subarray(0, n);
}

// ---------------------------------------------------------------- decode

const bad = (code: WireErrorCode, message: string): Decoded => ({ ok: false, code, message });

/**
 * Decodes one frame; never throws. A block's `data` is a view into `bytes`
 * (no copy): the caller copies it where it keeps it.
 */
export function decodeFrame(bytes: Uint8Array): Decoded {
  if (!(bytes instanceof Uint8Array)) return bad(WireErrorCode.TooShort, 'a frame must be binary');
  if (bytes.length < HEADER) return bad(WireErrorCode.TooShort, `a frame has at least ${HEADER} bytes, got ${bytes.length}`);
  if (bytes[0] !== WIRE_VERSION) {
    return { ok: false, code: WireErrorCode.BadVersion, message: `wire version ${bytes[0]} is not ${WIRE_VERSION}`, version: bytes[0]! };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[1]!;
  switch (type) {
    case FrameType.Handshake: {
      if (bytes.length < HANDSHAKE_FIXED) return bad(WireErrorCode.BadLength, `a handshake has at least ${HANDSHAKE_FIXED} bytes, got ${bytes.length}`);
      const pieceCount = view.getUint32(HEADER + FILE_ID_BYTES + PEER_ID_BYTES);
      if (pieceCount < 1 || pieceCount > MAX_PIECES) return bad(WireErrorCode.BadField, `a file has 1..${MAX_PIECES} pieces, not ${pieceCount}`);
      const bitfieldBytes = Math.ceil(pieceCount / 8);
      if (bytes.length !== HANDSHAKE_FIXED + bitfieldBytes) {
        return bad(WireErrorCode.BadLength, `a handshake for ${pieceCount} pieces has ${HANDSHAKE_FIXED + bitfieldBytes} bytes, got ${bytes.length}`);
      }
      const bitfield = bytes.slice(HANDSHAKE_FIXED);
      const spare = bitfieldBytes * 8 - pieceCount;
      if (spare > 0 && (bitfield[bitfieldBytes - 1]! & ((1 << spare) - 1)) !== 0) {
        return bad(WireErrorCode.BadField, 'the bitfield sets bits past the last piece');
      }
      return {
        ok: true,
        frame: {
          type: 'handshake',
          fileId: bytesToHex(bytes.subarray(HEADER, HEADER + FILE_ID_BYTES)),
          peerId: bytesToHex(bytes.subarray(HEADER + FILE_ID_BYTES, HEADER + FILE_ID_BYTES + PEER_ID_BYTES)),
          pieceCount,
          bitfield,
        },
      };
    }
    case FrameType.Have: {
      if (bytes.length !== HEADER + 4) return bad(WireErrorCode.BadLength, `a have frame has ${HEADER + 4} bytes, got ${bytes.length}`);
      return { ok: true, frame: { type: 'have', piece: view.getUint32(HEADER) } };
    }
    case FrameType.Request:
    case FrameType.Cancel:
    case FrameType.Reject: {
      const name = type === FrameType.Request ? 'request' : type === FrameType.Cancel ? 'cancel' : 'reject';
      if (bytes.length !== HEADER + REF_BYTES) return bad(WireErrorCode.BadLength, `a ${name} frame has ${HEADER + REF_BYTES} bytes, got ${bytes.length}`);
      const length = view.getUint32(HEADER + 8);
      if (length < 1 || length > BLOCK_SIZE) return bad(WireErrorCode.BadField, `a block is 1..${BLOCK_SIZE} bytes, not ${length}`);
      return { ok: true, frame: { type: name, piece: view.getUint32(HEADER), offset: view.getUint32(HEADER + 4), length } };
    }
    case FrameType.Requests: {
      const body = bytes.length - HEADER;
      if (body < REF_BYTES || body % REF_BYTES !== 0) return bad(WireErrorCode.BadLength, `a requests frame carries whole ${REF_BYTES}-byte requests, got ${body} bytes`);
      const n = body / REF_BYTES;
      if (n > MAX_REQUESTS_PER_FRAME) return bad(WireErrorCode.BadField, `a requests frame carries at most ${MAX_REQUESTS_PER_FRAME} requests, got ${n}`);
      const refs: BlockRef[] = new Array(n);
      for (let i = 0, at = HEADER; i < n; i++, at += REF_BYTES) {
        const length = view.getUint32(at + 8);
        if (length < 1 || length > BLOCK_SIZE) return bad(WireErrorCode.BadField, `request ${i + 1}: a block is 1..${BLOCK_SIZE} bytes, not ${length}`);
        refs[i] = { piece: view.getUint32(at), offset: view.getUint32(at + 4), length };
      }
      return { ok: true, frame: { type: 'requests', refs } };
    }
    case FrameType.Block: {
      const dataBytes = bytes.length - HEADER - 8;
      if (dataBytes < 1) return bad(WireErrorCode.BadLength, 'a block frame carries at least one byte of data');
      if (dataBytes > BLOCK_SIZE) return bad(WireErrorCode.BadField, `a block is at most ${BLOCK_SIZE} bytes, got ${dataBytes}`);
      return {
        ok: true,
        frame: { type: 'block', piece: view.getUint32(HEADER), offset: view.getUint32(HEADER + 4), data: bytes.subarray(HEADER + 8) },
      };
    }
    default:
      return bad(WireErrorCode.UnknownType, `unknown frame type ${type}`);
  }
}

// ---------------------------------------------------------------- hex

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function hexToBytes(hex: string, length: number, name: string): Uint8Array {
  if (hex.length !== length * 2 || !/^[0-9a-f]*$/.test(hex)) throw new RangeError(`${name} must be ${length * 2} lowercase hex digits`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
