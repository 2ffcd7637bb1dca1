/**
 * Which pieces a peer holds: bit i is piece i, most significant bit first (as
 * in BitTorrent). Travels as bytes on the peer wire and as base64 to the tracker.
 */
export class Bitfield {
  readonly bytes: Uint8Array;
  constructor(
    readonly length: number,
    bytes?: Uint8Array,
  ) {
    const size = Math.ceil(length / 8);
    this.bytes = new Uint8Array(size);
    if (bytes) this.bytes.set(bytes.subarray(0, size));
    // Bits past `length` are always zero, so counts and equality stay honest.
    const spare = size * 8 - length;
    if (spare > 0 && size > 0) this.bytes[size - 1]! &= 0xff << spare;
  }

  has(i: number): boolean {
    return i >= 0 && i < this.length && (this.bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0;
  }
  set(i: number): void {
    if (i >= 0 && i < this.length) this.bytes[i >> 3]! |= 0x80 >> (i & 7);
  }
  count(): number {
    let n = 0;
    for (const b of this.bytes) n += POPCOUNT[b]!;
    return n;
  }
  isEmpty(): boolean {
    return this.bytes.every((b) => b === 0);
  }
  isComplete(): boolean {
    return this.count() === this.length;
  }
  toBase64(): string {
    return bytesToBase64(this.bytes);
  }
  static fromBase64(length: number, text: string): Bitfield {
    return new Bitfield(length, base64ToBytes(text));
  }
  static full(length: number): Bitfield {
    const b = new Bitfield(length);
    for (let i = 0; i < length; i++) b.set(i);
    return b;
  }
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
});

/** base64 without Node's Buffer, so the client core stays runtime-neutral. */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
export function base64ToBytes(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
