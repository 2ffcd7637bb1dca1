/**
 * A shared file served from its original path (the PieceSource port). The
 * swarm checks every piece read from it against the piece hashes
 * (client/served-pieces.ts), so a file changed after sharing is never served
 * as if it were the same.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import type { PieceSource } from '../../client/ports.ts';

export class FileSource implements PieceSource {
  #handle: Promise<FileHandle> | undefined;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  async readPiece(index: number): Promise<Uint8Array> {
    this.#handle ??= open(this.path, 'r');
    this.#handle.catch(() => (this.#handle = undefined));
    const fh = await this.#handle;
    const want = Math.max(0, Math.min(PIECE_SIZE, this.size - index * PIECE_SIZE));
    const out = new Uint8Array(want);
    const { bytesRead } = await fh.read(out, 0, want, index * PIECE_SIZE);
    return bytesRead === want ? out : out.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    const h = this.#handle;
    this.#handle = undefined;
    if (h) await (await h.catch(() => undefined))?.close().catch(() => undefined);
  }
}
