/// <reference lib="webworker" />
/**
 * The hashing Web Worker: SHA-1 of pieces off the page's thread, so a 2 GiB
 * share keeps the tab responsive.
 *
 * WebCrypto's SHA-1 runs at ~1400 MB/s here against ~73 MB/s for
 * @noble/hashes (measured in Chromium on this project's machines), so it is used whenever it exists; it does not
 * on plain-http pages from a LAN address (not a secure context), and there
 * noble's pure-JS SHA-1 takes over with the same results.
 */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { HashEngine, HashReply, HashRequest } from './hash-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const subtle: SubtleCrypto | undefined = self.crypto?.subtle;
const engine: HashEngine = subtle ? 'webcrypto' : 'noble';

async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (subtle) return bytesToHex(new Uint8Array(await subtle.digest('SHA-1', bytes)));
  return bytesToHex(nobleSha1(bytes));
}

/**
 * Reading a disk-backed File, not SHA-1, is the slow part: measured in
 * Chromium here, `slice().arrayBuffer()` of one 512 KiB piece at a time reads
 * 123 MB/s, 8 MiB at a time 459 MB/s, and four 8 MiB reads in flight
 * 621 MB/s. So each lane reads READ_PIECES pieces at once and hashes them
 * from that buffer, with READ_LANES lanes: at most 32 MiB of the file in
 * the worker at a time, whatever the file's size.
 */
const READ_PIECES = 16;
const READ_LANES = 4;

/** Files whose share was cancelled: their lanes stop before the next read. */
const cancelled = new Set<number>();
class Cancelled extends Error {}

async function hashFile(id: number, file: Blob, pieceSize: number): Promise<string[]> {
  const count = Math.ceil(file.size / pieceSize);
  const hashes = new Array<string>(count);
  const chunks = Math.ceil(count / READ_PIECES);
  let next = 0;
  let piecesDone = 0;
  let bytesDone = 0;
  const lane = async () => {
    // This lane's read buffer, filled again for each chunk (see readChunk).
    let spare: ArrayBuffer | undefined;
    while (next < chunks) {
      if (cancelled.has(id)) throw new Cancelled();
      const c = next++;
      const start = c * READ_PIECES * pieceSize;
      const read = await readChunk(file.slice(start, Math.min(file.size, start + READ_PIECES * pieceSize)), spare);
      const buf = read.bytes;
      const first = c * READ_PIECES;
      const pieces = Math.ceil(buf.length / pieceSize);
      await Promise.all(
        Array.from({ length: pieces }, async (_, k) => {
          const piece = buf.subarray(k * pieceSize, Math.min(buf.length, (k + 1) * pieceSize));
          hashes[first + k] = await sha1Hex(piece);
          piecesDone++;
          bytesDone += piece.length;
          post({ id, kind: 'progress', piecesDone, bytesDone });
        }),
      );
      spare = read.reusable;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_LANES, chunks) }, lane));
  return hashes;
}

/**
 * Reads a slice of the file into `spare` (a buffer of a previous chunk) where
 * the browser can read a Blob's stream into a given buffer (BYOB), else
 * with `arrayBuffer()`. Reusing the buffer is what keeps a 4 GiB share flat:
 * a fresh 8 MiB buffer per chunk is garbage the worker's tiny heap gives
 * the collector no reason to reclaim soon, and the renderer grew by ~370 MiB
 * sharing 4 GiB against 512 MiB (docs/transfer-profile.md).
 */
async function readChunk(blob: Blob, spare: ArrayBuffer | undefined): Promise<{ bytes: Uint8Array<ArrayBuffer>; reusable: ArrayBuffer | undefined }> {
  let reader: ReadableStreamBYOBReader | undefined;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream in this browser.
  }
  if (!reader) return { bytes: new Uint8Array(await blob.arrayBuffer()), reusable: undefined };
  let buffer = spare && spare.byteLength >= blob.size ? spare : new ArrayBuffer(blob.size);
  let filled = 0;
  while (filled < blob.size) {
    const { value, done } = await reader.read(new Uint8Array(buffer, filled, blob.size - filled));
    if (done || !value) break;
    buffer = value.buffer;
    filled += value.byteLength;
  }
  reader.releaseLock();
  if (filled !== blob.size) throw new Error(`read ${filled} of ${blob.size} bytes of the file`);
  return { bytes: new Uint8Array(buffer, 0, filled), reusable: buffer };
}

function post(reply: HashReply, transfer: Transferable[] = []): void {
  self.postMessage(reply, transfer);
}

self.onmessage = async (ev: MessageEvent<HashRequest>) => {
  const msg = ev.data;
  try {
    switch (msg.kind) {
      case 'sha1': {
        const hex = await sha1Hex(new Uint8Array(msg.buffer, msg.offset, msg.length));
        post({ id: msg.id, kind: 'sha1', hex, buffer: msg.buffer }, [msg.buffer]);
        break;
      }
      case 'file': {
        try {
          const hashes = await hashFile(msg.id, msg.file, msg.pieceSize);
          post({ id: msg.id, kind: 'file', hashes });
        } catch (err) {
          if (!(err instanceof Cancelled)) throw err;
        } finally {
          cancelled.delete(msg.id);
        }
        break;
      }
      case 'cancel':
        cancelled.add(msg.id);
        break;
    }
  } catch (err) {
    post({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};

post({ id: 0, kind: 'ready', engine });
