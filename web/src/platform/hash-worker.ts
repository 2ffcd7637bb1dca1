/// <reference lib="webworker" />
/**
 * The hashing Web Worker: SHA-1 of pieces off the page's thread, so a 2 GiB
 * share keeps the tab responsive.
 *
 * WebCrypto's SHA-1 runs at ~1400 MB/s here against ~73 MB/s for
 * @noble/hashes (BROWSER.md), so it is used whenever it exists; it does not
 * on plain-http pages from a LAN address (not a secure context), and there
 * noble's pure-JS SHA-1 takes over with the same results.
 */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { HashEngine, HashReply, HashRequest } from './hash-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

/** Test hook: a worker named `…-noble` uses the fallback, as on an insecure page. */
const forceNoble = self.name.endsWith('-noble');
const subtle: SubtleCrypto | undefined = forceNoble ? undefined : self.crypto?.subtle;
const engine: HashEngine = subtle ? 'webcrypto' : 'noble';

async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (subtle) return bytesToHex(new Uint8Array(await subtle.digest('SHA-1', bytes)));
  return bytesToHex(nobleSha1(bytes));
}

/**
 * Pieces read and hashed at once while hashing a file: reading the next piece
 * from disk overlaps with digesting this one. Four keeps both busy without
 * holding more than 2 MiB of file in the worker.
 */
const FILE_WINDOW = 4;

const cancelled = new Set<number>();

async function hashFile(id: number, file: Blob, pieceSize: number): Promise<string[]> {
  const count = Math.ceil(file.size / pieceSize);
  const hashes = new Array<string>(count);
  let next = 0;
  let piecesDone = 0;
  let bytesDone = 0;
  const lane = async () => {
    while (next < count) {
      if (cancelled.has(id)) throw new Error('cancelled');
      const i = next++;
      const bytes = new Uint8Array(await file.slice(i * pieceSize, Math.min(file.size, (i + 1) * pieceSize)).arrayBuffer());
      hashes[i] = await sha1Hex(bytes);
      piecesDone++;
      bytesDone += bytes.length;
      post({ id, kind: 'progress', piecesDone, bytesDone });
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_WINDOW, count) }, lane));
  return hashes;
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
        if (msg.giveBack) post({ id: msg.id, kind: 'sha1', hex, buffer: msg.buffer }, [msg.buffer]);
        else post({ id: msg.id, kind: 'sha1', hex });
        break;
      }
      case 'file': {
        const hashes = await hashFile(msg.id, msg.file, msg.pieceSize);
        post({ id: msg.id, kind: 'file', hashes });
        break;
      }
      case 'cancel':
        cancelled.add(msg.id);
        break;
    }
  } catch (err) {
    post({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    if (msg.kind === 'file') cancelled.delete(msg.id);
  }
};

post({ id: 0, kind: 'ready', engine });
