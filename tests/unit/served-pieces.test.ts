/**
 * ServedPieces: a shared original is checked against its hashes when served,
 * unless its platform guarantees it unchanged (PieceSource.unchanging, a
 * browser's File snapshot); one that can no longer be read is reported once,
 * in plain words, and serves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { ServedPieces } from '../../client/served-pieces.ts';
import type { Hasher, PieceSource } from '../../client/ports.ts';
import { MemoryPieceStore, nodeHasher, pieceHashesOf } from '../helpers/memory-platform.ts';

const bytes = new Uint8Array(randomBytes(3 * PIECE_SIZE));

function served(source: PieceSource) {
  const meta = { name: 'report.pdf', size: bytes.length, pieceHashes: pieceHashesOf(bytes) } as unknown as FileMeta;
  let hashed = 0;
  const hasher: Hasher = { sha1: (d) => (hashed++, nodeHasher.sha1(d)) };
  const errors: string[] = [];
  const pieces = new ServedPieces({ fileId: 'f'.repeat(40), meta, store: new MemoryPieceStore(), hasher, source }, (m) => errors.push(m));
  return { pieces, errors, hashed: () => hashed };
}

const read = (i: number) => bytes.slice(i * PIECE_SIZE, (i + 1) * PIECE_SIZE);

test('an unchanging source (a browser snapshot) is served without a second SHA-1; any other is checked', async () => {
  const snap = served({ unchanging: true, readPiece: async (i) => read(i) });
  for (let i = 0; i < 3; i++) assert.deepEqual(await snap.pieces.read(i), read(i));
  assert.equal(snap.hashed(), 0, 'no piece hashed again');
  const disk = served({ readPiece: async (i) => read(i) });
  for (let i = 0; i < 3; i++) assert.deepEqual(await disk.pieces.read(i), read(i));
  assert.equal(disk.hashed(), 3, 'each piece of a changeable source is checked');
});

test('a changeable source whose bytes changed serves nothing and says so once', async () => {
  const s = served({ readPiece: async (i) => (i === 1 ? new Uint8Array(PIECE_SIZE) : read(i)) });
  assert.equal(await s.pieces.read(1), undefined);
  assert.deepEqual(await s.pieces.read(0), read(0));
  assert.deepEqual(s.errors, ['report.pdf changed since it was shared: its pieces no longer match; share it again']);
});

test('a source that can no longer be read (a changed file\'s snapshot) serves nothing and says so once, plainly', async () => {
  const notReadable = Object.assign(new Error('The requested file could not be read'), { name: 'NotReadableError' });
  const s = served({ unchanging: true, readPiece: async () => Promise.reject(notReadable) });
  assert.equal(await s.pieces.read(0), undefined);
  assert.equal(await s.pieces.read(2), undefined);
  assert.equal(s.errors.length, 1, 'told once');
  assert.match(s.errors[0]!, /^report\.pdf can no longer be read \(NotReadableError\): it was changed, moved or deleted since it was shared; share it again$/);
});
