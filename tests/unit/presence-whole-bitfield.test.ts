/**
 * Holdings of a whole file share one bitfield (tracker-server/presence.ts;
 * issue 12 item 2, live heap per idle peer): most holders of a shared file
 * are its seeders, and a bitfield of its own cost each of them ~220 bytes.
 * Sharing must never let one peer's pieces show up as another's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { Presence } from '../../tracker-server/presence.ts';

function presenceOf(...peerIds: string[]): Presence {
  const p = new Presence('t1');
  for (const peerId of peerIds) p.addPeer({ peerId, userId: `u-${peerId}`, trackerId: 't1' });
  return p;
}
const partial = (length: number, ...pieces: number[]) => {
  const b = new Bitfield(length);
  for (const i of pieces) b.set(i);
  return b;
};

test('peers holding the whole file share one bitfield', () => {
  const p = presenceOf('a', 'b', 'c');
  const a = p.announce('a', 'f1', Bitfield.full(20))!;
  const b = p.announce('b', 'f1', Bitfield.full(20))!;
  assert.equal(a.bitfield, b.bitfield, 'one bitfield for both');
  // One that completes its download joins them.
  const c = p.announce('c', 'f1', partial(20, 0))!;
  assert.notEqual(c.bitfield, a.bitfield);
  p.have('c', 'f1', Array.from({ length: 19 }, (_, i) => i + 1));
  assert.equal(c.bitfield, a.bitfield, 'completed, it shares the whole one');
  assert.equal(c.bitfield.isComplete(), true);
});

test('a partial holder keeps its own bitfield: its pieces are nobody else\'s', () => {
  const p = presenceOf('a', 'b', 'c');
  p.announce('a', 'f1', Bitfield.full(10));
  const b = p.announce('b', 'f1', partial(10, 1))!;
  const c = p.announce('c', 'f1', partial(10, 2))!;
  p.have('b', 'f1', [3]);
  assert.deepEqual([...Array(10).keys()].filter((i) => b.bitfield.has(i)), [1, 3]);
  assert.deepEqual([...Array(10).keys()].filter((i) => c.bitfield.has(i)), [2]);
  // A have on a whole holding changes nothing (nothing to gain) and nobody else.
  p.have('a', 'f1', [0, 9, 10, -1]);
  assert.deepEqual(p.onlineCounts('f1'), { whole: 1, partial: 2 });
});

test('the shared bitfield goes with the file\'s last holder; another file has its own', () => {
  const p = presenceOf('a', 'b');
  const a1 = p.announce('a', 'f1', Bitfield.full(8))!;
  const b2 = p.announce('b', 'f2', Bitfield.full(8))!;
  assert.notEqual(a1.bitfield, b2.bitfield, 'per file');
  p.unannounce('a', 'f1');
  const fresh = Bitfield.full(8);
  assert.equal(p.announce('b', 'f1', fresh)!.bitfield, fresh, 'a new holder after the last left starts a new one');
  // A bitfield of another length for the same file is kept as it came (never merged with the shared one).
  p.addPeer({ peerId: 'c', userId: 'u-c', trackerId: 't2' });
  const odd = Bitfield.full(9);
  assert.equal(p.announce('c', 'f1', odd)!.bitfield, odd);
});
