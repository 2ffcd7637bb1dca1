/**
 * One file of a batch: the picker's wanted set (client/picker.ts rule 6) and
 * the pure mapping from files to the pieces covering them (client/wanted.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { Picker } from '../../client/picker.ts';
import { covers, fileHeld, unknownPaths, wantedPieces, widen } from '../../client/wanted.ts';

const PIECE = 8;
const BLOCK = 4;
// 3 files over 6 pieces of 8 bytes (44 bytes): a = [0,10) pieces 0-1, b = [10,30) pieces 1-3, c = [30,44) pieces 3-5.
const files = [
  { path: 'a', size: 10 },
  { path: 'd/b', size: 20 },
  { path: 'd/c', size: 14 },
];
const meta = { files, pieceSize: PIECE, pieceHashes: Array.from({ length: 6 }, () => '0'.repeat(40)) };
const list = (bits: Bitfield | undefined) => (bits ? [...Array(bits.length).keys()].filter((i) => bits.has(i)) : undefined);

test('the pieces of one file, with the ones it shares at each end; none without a list or for an empty file', () => {
  assert.deepEqual(list(wantedPieces(meta, ['d/b'])), [1, 2, 3]);
  assert.deepEqual(list(wantedPieces(meta, ['a', 'd/c'])), [0, 1, 3, 4, 5]);
  assert.equal(wantedPieces(meta, undefined), undefined);
  assert.equal(wantedPieces({ ...meta, files: undefined }, ['a']), undefined);
  assert.deepEqual(list(wantedPieces({ ...meta, files: [...files, { path: 'empty', size: 0 }] }, ['empty'])), []);
});

test('widening keeps what was asked, in the batch order, and becomes the whole once every file is in', () => {
  assert.deepEqual(widen(files, ['d/c'], ['a']), ['a', 'd/c']);
  assert.deepEqual(widen(files, ['a'], ['a']), ['a']);
  assert.equal(widen(files, ['a', 'd/c'], ['d/b']), undefined);
  assert.equal(widen(files, ['a'], undefined), undefined, 'asking for the whole');
  assert.equal(widen(files, undefined, ['a']), undefined, 'already the whole: never narrowed');
  assert.deepEqual(unknownPaths(files, ['a', 'nope', 'd']), ['nope', 'd']);
});

test('a file is held when every piece covering it is; covers() follows the wanted set', () => {
  const have = new Bitfield(6);
  for (const p of [1, 2, 3]) have.set(p);
  assert.equal(fileHeld(files, 1, PIECE, (p) => have.has(p)), true);
  assert.equal(fileHeld(files, 0, PIECE, (p) => have.has(p)), false);
  assert.equal(covers(have, wantedPieces(meta, ['d/b'])), true);
  assert.equal(covers(have, wantedPieces(meta, ['d/c'])), false);
  assert.equal(covers(have, undefined), false, 'no set: the whole file');
});

function picker(wanted: Bitfield | undefined) {
  const have = new Bitfield(6);
  const p = new Picker(have, { fileSize: 44, pieceSize: PIECE, blockSize: BLOCK, random: () => 0.5, initialRandomPieces: 2, timeoutMs: 1000 });
  p.addPeer('a', Bitfield.full(6));
  p.want(wanted);
  return { p, have };
}

/** Takes every block the picker hands out (endgame duplicates included), verifying each piece as it completes. */
function drain(p: Picker): number[] {
  const started = new Set<number>();
  for (let round = 0; round < 50; round++) {
    const refs = p.pick('a', 4, 0);
    if (refs.length === 0) break;
    for (const ref of refs) {
      started.add(ref.piece);
      if (p.received('a', ref).pieceReady) p.verified(ref.piece);
    }
  }
  return [...started].sort((x, y) => x - y);
}

test('with a wanted set only its pieces are asked for; then the picker is satisfied, not complete', () => {
  const { p, have } = picker(wantedPieces(meta, ['d/b']));
  assert.equal(p.interesting('a'), true);
  assert.equal(p.satisfied, false);
  assert.deepEqual(drain(p), [1, 2, 3]);
  assert.equal(p.satisfied, true);
  assert.equal(p.complete, false);
  assert.equal(have.count(), 3);
  assert.equal(p.interesting('a'), false, 'a seeder has nothing more we want');
  assert.deepEqual(p.pick('a', 4, 0), [], 'nothing else is asked, endgame included');
});

test('widened, the rest is fetched and what is held is not asked again; cleared, the whole file', () => {
  const { p } = picker(wantedPieces(meta, ['d/b']));
  drain(p);
  p.want(wantedPieces(meta, ['a', 'd/b']));
  assert.deepEqual(drain(p), [0], 'piece 1 (shared by a and d/b) is already here');
  p.want(undefined);
  assert.deepEqual(drain(p), [4, 5]);
  assert.equal(p.complete, true);
  assert.equal(p.satisfied, true);
});

test('endgame starts at the tail of the wanted set, not of the file', () => {
  const { p } = picker(wantedPieces(meta, ['a']));
  p.addPeer('b', Bitfield.full(6));
  // Pieces 0 and 1 (two blocks each) started at a: every wanted piece is started, so b is asked for duplicates.
  const atA = p.pick('a', 4, 0);
  assert.deepEqual([...new Set(atA.map((r) => r.piece))].sort(), [0, 1]);
  const atB = p.pick('b', 4, 0);
  assert.ok(atB.length > 0, 'endgame duplicates asked of b');
  assert.ok(atB.every((r) => r.piece === 0 || r.piece === 1), 'only wanted pieces');
});
