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

/** A source over `n` pieces that counts its reads and can read several pieces at once. */
function countingSource(n: number, unchanging: boolean) {
  const file = new Uint8Array(randomBytes(n * PIECE_SIZE - 777));
  const piece = (i: number) => file.slice(i * PIECE_SIZE, (i + 1) * PIECE_SIZE);
  const calls: string[] = [];
  const source: PieceSource = {
    unchanging,
    readPiece: async (i) => (calls.push(`${i}`), piece(i)),
    readPieces: async (first, count) => {
      calls.push(`${first}+${count}`);
      return Array.from({ length: Math.min(count, n - first) }, (_, k) => piece(first + k));
    },
  };
  const meta = { name: 'film.mkv', size: file.length, pieceHashes: pieceHashesOf(file) } as unknown as FileMeta;
  let hashed = 0;
  const hasher: Hasher = { sha1: (d) => (hashed++, nodeHasher.sha1(d)) };
  const errors: string[] = [];
  const pieces = new ServedPieces({ fileId: 'e'.repeat(40), meta, store: new MemoryPieceStore(), hasher, source }, (m) => errors.push(m));
  return { pieces, calls, piece, errors, hashed: () => hashed };
}

test('pieces asked for in order are read from the original four at a time, byte-exact to the end of the file', async () => {
  const s = countingSource(11, true);
  for (let i = 0; i < 11; i++) assert.deepEqual(await s.pieces.read(i), s.piece(i), `piece ${i}`);
  // The first read is one piece; asked for the next, the run is noticed.
  assert.deepEqual(s.calls, ['0', '1+4', '5+4', '9+2']);
});

test('pieces asked for out of order are read one at a time: no read-ahead wasted', async () => {
  const s = countingSource(16, true);
  for (const i of [9, 2, 14, 5, 11, 0]) assert.deepEqual(await s.pieces.read(i), s.piece(i));
  assert.deepEqual(s.calls, ['9', '2', '14', '5', '11', '0']);
});

test('two downloaders reading in order each get their run read ahead', async () => {
  const s = countingSource(32, true);
  for (let k = 0; k < 6; k++) {
    assert.deepEqual(await s.pieces.read(k), s.piece(k));
    assert.deepEqual(await s.pieces.read(20 + k), s.piece(20 + k));
  }
  assert.deepEqual(s.calls, ['0', '20', '1+4', '21+4', '5+4', '25+4']);
});

test('a read-ahead from a changeable source checks every piece; a changed one serves nothing and the others still serve', async () => {
  const file = new Uint8Array(randomBytes(6 * PIECE_SIZE - 777));
  const orig = (i: number) => file.slice(i * PIECE_SIZE, (i + 1) * PIECE_SIZE);
  // Piece 2 changed on disk since it was shared.
  const now = (i: number) => (i === 2 ? new Uint8Array(PIECE_SIZE) : orig(i));
  const source: PieceSource = {
    readPiece: async (i) => now(i),
    readPieces: async (first, count) => Array.from({ length: Math.min(count, 6 - first) }, (_, k) => now(first + k)),
  };
  let hashed = 0;
  const meta = { name: 'notes.txt', size: file.length, pieceHashes: pieceHashesOf(file) } as unknown as FileMeta;
  const errors: string[] = [];
  const pieces = new ServedPieces({ fileId: 'd'.repeat(40), meta, store: new MemoryPieceStore(), hasher: { sha1: (d) => (hashed++, nodeHasher.sha1(d)) }, source }, (m) => errors.push(m));
  assert.deepEqual(await pieces.read(0), orig(0));
  assert.deepEqual(await pieces.read(1), orig(1)); // reads 1..4 at once
  assert.equal(await pieces.read(2), undefined, 'the changed piece is not served');
  assert.deepEqual(await pieces.read(3), orig(3));
  assert.equal(hashed, 5, 'every piece read was checked, each once');
  assert.deepEqual(errors, ['notes.txt changed since it was shared: its pieces no longer match; share it again']);
});
