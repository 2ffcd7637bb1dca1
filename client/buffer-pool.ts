/**
 * A few spare ArrayBuffers of one size, handed out again instead of
 * allocating a fresh one per piece.
 *
 * Why (issue 12, docs/transfer-profile.md): a fresh 512 KiB buffer is fresh
 * memory. Each of its 128 pages faults in on first write, and V8 counts the
 * buffer as external memory, which brings garbage collections forward. A
 * download filled one per piece (the swarm's piece buffer) and copied it
 * into another (the store's copy for its worker), and the profile put both
 * among the leecher's top costs. Buffers that are reused stay mapped.
 *
 * A buffer given back must no longer be used by whoever gave it. One that
 * is detached (transferred elsewhere) or of another size is not kept.
 */
export class BufferPool {
  readonly #spare: ArrayBuffer[] = [];

  /** `size`: the byte length of every buffer; `keep`: how many spares at most (memory held while idle: size × keep). */
  constructor(
    readonly size: number,
    readonly keep: number,
  ) {}

  /** A buffer of `size` bytes, old contents and all: the caller overwrites what it uses. */
  take(): ArrayBuffer {
    return this.#spare.pop() ?? new ArrayBuffer(this.size);
  }

  /** A `length`-byte view at the start of a pooled buffer (length ≤ size), or a buffer of its own when longer. */
  view(length: number): Uint8Array<ArrayBuffer> {
    return length <= this.size ? new Uint8Array(this.take(), 0, length) : new Uint8Array(length);
  }

  /** Keeps the buffer for the next take(), if it is one of ours and there is room. */
  give(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== this.size || this.#spare.length >= this.keep) return;
    if (this.#spare.includes(buffer)) return; // given twice: handing it out twice would share it
    this.#spare.push(buffer);
  }

  /** Lets every spare go (a download that finished needs none). */
  clear(): void {
    this.#spare.length = 0;
  }

  /** How many spares are held (tests). */
  get spares(): number {
    return this.#spare.length;
  }
}
