/** The picker's priority window (a preview's player): sequential inside it, the usual policy outside. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { Picker } from '../../client/picker.ts';

const PIECE = 8;
const BLOCK = 4;

function picker(pieces: number, initialRandomPieces = 4) {
  const have = new Bitfield(pieces);
  // A random source that always picks the last tie: without a window the picker would never go in order.
  const p = new Picker(have, { fileSize: pieces * PIECE, pieceSize: PIECE, blockSize: BLOCK, random: () => 0, initialRandomPieces, timeoutMs: 1000 });
  const full = new Bitfield(pieces);
  for (let i = 0; i < pieces; i++) full.set(i);
  p.addPeer('a', full);
  return { p, have };
}

/** Starts one piece at a time (2 blocks each) and verifies it, returning the order pieces were started in. */
function order(p: Picker, count: number): number[] {
  const started: number[] = [];
  for (let n = 0; n < count; n++) {
    const refs = p.pick('a', 2, 0);
    const piece = refs[0]!.piece;
    started.push(piece);
    for (const ref of refs) p.received('a', ref);
    p.verified(piece);
  }
  return started;
}

test('without a window the first pieces are random, not in order', () => {
  const { p } = picker(10);
  assert.notDeepEqual(order(p, 4), [0, 1, 2, 3]);
});

test('with a window new pieces start lowest index first inside it, even in the random phase', () => {
  const { p } = picker(10);
  p.prioritise({ first: 0, last: 3 });
  assert.deepEqual(order(p, 4), [0, 1, 2, 3]);
});

test('a window in the middle (a seek) is taken in order, then the usual policy fills the rest', () => {
  const { p } = picker(10, 0);
  p.prioritise({ first: 6, last: 7 });
  const started = order(p, 10);
  assert.deepEqual(started.slice(0, 2), [6, 7]);
  assert.deepEqual([...started].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('pieces already held or started are skipped; a window past the end is clamped; undefined clears it', () => {
  const { p, have } = picker(6, 0);
  have.set(1);
  const first = p.pick('a', 2, 0); // rarest-first ties: random () => 0 keeps the first candidate
  p.prioritise({ first: 0, last: 99 });
  const next = p.pick('a', 2, 0)[0]!.piece;
  assert.notEqual(next, 1);
  assert.notEqual(next, first[0]!.piece);
  assert.equal(next, [0, 2].find((i) => i !== first[0]!.piece));
  p.prioritise(undefined);
  p.prioritise({ first: 5, last: 2 }); // empty: no priority
  assert.ok(p.pick('a', 2, 0).length > 0);
});

test('a peer that lacks the window gets pieces outside it', () => {
  const have = new Bitfield(4);
  const p = new Picker(have, { fileSize: 4 * PIECE, pieceSize: PIECE, blockSize: BLOCK, random: () => 0, initialRandomPieces: 0 });
  const some = new Bitfield(4);
  some.set(2);
  some.set(3);
  p.addPeer('b', some);
  p.prioritise({ first: 0, last: 1 });
  assert.ok([2, 3].includes(p.pick('b', 2, 0)[0]!.piece));
});
