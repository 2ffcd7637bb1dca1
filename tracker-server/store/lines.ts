/**
 * Reads a file of newline-ended lines in fixed-size chunks, so a log or a
 * snapshot of any size can be replayed: a whole-file read into one string
 * fails past V8's string limit (~512 MiB) with `RangeError: Invalid string
 * length`, and would hold the file twice in memory besides.
 *
 * Lines are split on the byte 0x0A, which never occurs inside a multi-byte
 * UTF-8 sequence, and each line is decoded from its own bytes, so a character
 * cut by a chunk boundary is never mangled. Each line comes with its byte
 * offsets, which is what cutting a torn tail needs.
 */
import type { FileHandle } from 'node:fs/promises';

/** 1 MiB: big enough that reads cost little per line, small enough to stay out of the way. */
export const READ_CHUNK_BYTES = 1 << 20;

export interface Line {
  text: string;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past the line's last byte (its newline not included). */
  end: number;
  /** False for a last line with no newline after it (an unfinished write). */
  complete: boolean;
}

export async function* readLines(handle: FileHandle, chunkBytes = READ_CHUNK_BYTES): AsyncGenerator<Line> {
  const chunk = Buffer.allocUnsafe(chunkBytes);
  /** Bytes of the current line from earlier chunks (a line longer than a chunk). */
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let position = 0;
  let lineStart = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
    if (bytesRead === 0) break;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1 || nl >= bytesRead) break;
      let text: string;
      if (carriedBytes === 0) {
        text = chunk.toString('utf8', from, nl);
      } else {
        carried.push(chunk.subarray(from, nl));
        text = Buffer.concat(carried).toString('utf8');
        carried = [];
        carriedBytes = 0;
      }
      const end = position + nl;
      yield { text, start: lineStart, end, complete: true };
      lineStart = end + 1;
      from = nl + 1;
    }
    if (from < bytesRead) {
      // The rest of the chunk is the start of a line that ends in a later chunk: copy it, the buffer is reused.
      carried.push(Buffer.from(chunk.subarray(from, bytesRead)));
      carriedBytes += bytesRead - from;
    }
    position += bytesRead;
  }
  if (carriedBytes > 0) {
    yield { text: Buffer.concat(carried).toString('utf8'), start: lineStart, end: position, complete: false };
  }
}

/**
 * Writes all of `data` at the handle's position (for a file opened to append,
 * its end). A short write is continued; a write that makes no progress is a
 * failure, so nothing is ever silently left out.
 */
export async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`short write: ${offset} of ${data.length} bytes written`), { code: 'ENOSPC' });
    }
    offset += bytesWritten;
  }
}
