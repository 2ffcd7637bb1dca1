/** Piece selection, as a pure function of peers, their pieces, the clock and the random source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { BLOCK_SIZE, PIPELINE_MAX_BLOCKS, PIPELINE_MIN_BLOCKS } from '../../protocol/constants.ts';
import fc from 'fast-check';
import { Picker, pipelineDepth } from '../../client/picker.ts';

/** Small geometry: pieces of 8 bytes in blocks of 4, so pieces have 2 blocks. */
const PIECE = 8;
const BLOCK = 4;

function picker(pieces: number, opts: { random?: () => number; initialRandomPieces?: number; fileSize?: number; timeoutMs?: number; have?: number[] } = {}) {
  const have = new Bitfield(pieces);
  for (const p of opts.have ?? []) have.set(p);
  const p = new Picker(have, {
    fileSize: opts.fileSize ?? pieces * PIECE,
    pieceSize: PIECE,
    blockSize: BLOCK,
    random: opts.random ?? seeded(1),
    initialRandomPieces: opts.initialRandomPieces ?? 0,
    timeoutMs: opts.timeoutMs ?? 1000,
  });
  return { p, have };
}

function bits(n: number, pieces: number[]): Bitfield {
  const b = new Bitfield(n);
  for (const i of pieces) b.set(i);
  return b;
}
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** mulberry32: a tiny seeded PRNG, so "random" tests are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('rarest first: the piece fewest connected peers hold is started first', () => {
  const { p } = picker(6);
  p.addPeer('a', bits(6, all(6)));
  p.addPeer('b', bits(6, [0, 1, 2, 4, 5])); // piece 3 only at a
  p.addPeer('c', bits(6, [0, 1, 3, 4, 5])); // piece 2 at a and b
  const [first] = p.pick('a', 1, 0);
  assert.equal(first!.piece, 3, 'piece 3 is held by one peer, the rarest');
  // The rest of piece 3 goes first (partial first), then piece 2 (two holders).
  const next = p.pick('a', 2, 0);
  assert.deepEqual(next.map((r) => r.piece), [3, 2]);
});

test('equally rare pieces are chosen at random, and only among the rarest', () => {
  const seen = new Map<number, number>();
  for (let seed = 0; seed < 300; seed++) {
    const { p } = picker(8, { random: seeded(seed) });
    p.addPeer('a', bits(8, all(8)));
    p.addPeer('b', bits(8, [0, 1, 2, 3, 4])); // 5, 6, 7 are the rarest
    const [ref] = p.pick('a', 1, 0);
    seen.set(ref!.piece, (seen.get(ref!.piece) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), [5, 6, 7], 'only the rarest pieces, and each of them');
  for (const n of seen.values()) assert.ok(n > 60, `a fair tie-break: ${[...seen.entries()]}`);
});

test('the first few pieces are random, not rarest; rarest first after them', () => {
  const counts = new Map<number, number>();
  for (let seed = 0; seed < 200; seed++) {
    const { p } = picker(10, { random: seeded(seed), initialRandomPieces: 2 });
    p.addPeer('a', bits(10, all(10)));
    p.addPeer('b', bits(10, all(9))); // piece 9 is the rarest
    const [ref] = p.pick('a', 1, 0);
    counts.set(ref!.piece, (counts.get(ref!.piece) ?? 0) + 1);
  }
  assert.ok(counts.size >= 8, `random start spreads over the pieces: ${[...counts.keys()]}`);

  const { p } = picker(10, { random: () => 0.999, initialRandomPieces: 2, have: [0, 1] });
  p.addPeer('a', bits(10, all(10)));
  p.addPeer('b', bits(10, all(9)));
  assert.equal(p.pick('a', 1, 0)[0]!.piece, 9, 'holding 2 pieces, the picker goes rarest first');
});

test('after the random start, equally rare pieces come in runs: the one after the last piece started with that peer', () => {
  const { p } = picker(12, { random: seeded(7), initialRandomPieces: 0 });
  p.addPeer('a', bits(12, all(12)));
  const started: number[] = [];
  for (let k = 0; k < 6; k++) {
    const refs = p.pick('a', 2, 0); // a whole piece (2 blocks) each time
    started.push(refs[0]!.piece);
    for (const r of refs) p.received('a', r);
    p.verified(refs[0]!.piece);
  }
  const first = started[0]!;
  // From a random first piece, in order, wrapping to a random piece at the end of the file.
  for (let k = 1; k < started.length; k++) {
    if (started[k - 1]! + 1 < 12) assert.equal(started[k], started[k - 1]! + 1, `run from ${first}: ${started}`);
  }
});

test('a run that reaches pieces others hold jumps at random among the rarest, so two downloaders do not race for the same next pieces', () => {
  const jumps = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    const { p } = picker(16, { random: seeded(seed), initialRandomPieces: 0, have: [0, 1, 2] });
    p.addPeer('seeder', bits(16, all(16)));
    p.addPeer('x', bits(16, all(16).filter((i) => i !== 3))); // piece 3 is the rarest: our run starts there
    p.addPeer('other', bits(16, [4, 5, 6, 7])); // another downloader's run: 4..7 are now the most common
    const refs = p.pick('seeder', 2, 0);
    assert.equal(refs[0]!.piece, 3);
    for (const r of refs) p.received('seeder', r);
    p.verified(3);
    const [next] = p.pick('seeder', 1, 0);
    assert.ok(next!.piece >= 8, `piece ${next!.piece}: only the rarest (8..15)`);
    jumps.add(next!.piece);
  }
  assert.ok(jumps.size >= 4, `random, not the first rare piece after the run: ${[...jumps]}`);
});

test('a peer finishes the piece it started before starting another', () => {
  const { p } = picker(4);
  p.addPeer('a', bits(4, all(4)));
  const [a1] = p.pick('a', 1, 0);
  const [a2] = p.pick('a', 1, 0);
  assert.equal(a2!.piece, a1!.piece);
  assert.notEqual(a2!.offset, a1!.offset);
  assert.deepEqual([...p.inflightPieces()], [a1!.piece]);
});

test('a piece stays with the peer that started it, so a bad piece has one sender', () => {
  const { p } = picker(4);
  p.addPeer('a', bits(4, all(4)));
  p.addPeer('b', bits(4, all(4)));
  const [a1] = p.pick('a', 1, 0);
  const [b1] = p.pick('b', 1, 0);
  assert.notEqual(b1!.piece, a1!.piece, 'b starts its own piece rather than sharing a\'s');
});

test('partly received pieces left behind are finished before new ones are started', () => {
  for (const leave of ['removed', 'timed out', 'rejected'] as const) {
    const { p } = picker(4, { timeoutMs: 100 });
    p.addPeer('a', bits(4, all(4)));
    p.addPeer('b', bits(4, all(4)));
    const [a1] = p.pick('a', 1, 0);
    p.received('a', a1!);
    p.pick('a', 1, 0); // a now has the second block outstanding
    if (leave === 'removed') p.removePeer('a');
    if (leave === 'timed out') p.expire(100);
    if (leave === 'rejected') p.release('a', { ...a1!, offset: 4, length: 4 });
    const [b1] = p.pick('b', 1, 100);
    assert.deepEqual(b1, { piece: a1!.piece, offset: 4, length: 4 }, `the orphaned block first (a ${leave})`);
  }
});

test('never asks for a piece we hold or the peer lacks; nothing when nothing is left', () => {
  const { p } = picker(5, { have: [0, 1] });
  p.addPeer('a', bits(5, [1, 2]));
  const refs = p.pick('a', 10, 0);
  assert.deepEqual(refs.map((r) => [r.piece, r.offset]), [[2, 0], [2, 4]]);
  assert.deepEqual(p.pick('a', 10, 0), []);
  assert.equal(p.outstanding('a'), 2);
});

test('block geometry: the last piece and block are short', () => {
  const { p } = picker(3, { fileSize: 2 * PIECE + 5 });
  p.addPeer('a', bits(3, [2]));
  assert.deepEqual(p.pick('a', 5, 0), [
    { piece: 2, offset: 0, length: 4 },
    { piece: 2, offset: 4, length: 1 },
  ]);
  assert.equal(p.blockOf({ piece: 2, offset: 4, length: 4 }), -1, 'a block past the end of the file');
  assert.equal(p.blockOf({ piece: 2, offset: 2, length: 2 }), -1, 'a block not on a block boundary');
  assert.equal(p.blockOf({ piece: 3, offset: 0, length: 4 }), -1, 'no such piece');
});

test('a piece is ready when its last block arrives; strangers\' and repeated blocks are refused', () => {
  const { p } = picker(2);
  p.addPeer('a', bits(2, [0]));
  p.addPeer('b', bits(2, [0]));
  const refs = p.pick('a', 2, 0);
  assert.equal(p.received('b', refs[0]!).accepted, false, 'b was never asked for it');
  const first = p.received('a', refs[0]!);
  assert.deepEqual(first, { accepted: true, pieceReady: false, cancels: [] });
  assert.equal(p.received('a', refs[0]!).accepted, false, 'the same block twice');
  assert.equal(p.received('a', refs[1]!).pieceReady, true);
  p.verified(0);
  assert.deepEqual([...p.inflightPieces()], []);
  assert.ok(!p.interesting('a'), 'a has nothing more we need');
});

test('endgame: at the tail, outstanding blocks are asked of another peer too, and cancelled there when one arrives', () => {
  const { p } = picker(2, { have: [0] });
  p.addPeer('a', bits(2, all(2)));
  p.addPeer('b', bits(2, all(2)));
  p.addPeer('c', bits(2, all(2)));
  const fromA = p.pick('a', 2, 0); // both blocks of the last piece
  assert.equal(fromA.length, 2);
  const fromB = p.pick('b', 5, 0);
  assert.deepEqual(fromB, fromA, 'b is asked for the same blocks');
  assert.deepEqual(p.pick('c', 5, 0), [], 'at most ENDGAME_MAX_DUPLICATES (2) peers per block');
  const r = p.received('b', fromA[0]!);
  assert.deepEqual(r.cancels, [{ peer: 'a', ref: fromA[0] }]);
  assert.equal(p.outstanding('a'), 1);
  assert.equal(p.received('a', fromA[0]!).accepted, false, 'the cancelled copy is not taken if it still comes');
});

test('no endgame before the tail: blocks outstanding elsewhere are not duplicated while pieces remain unstarted', () => {
  const { p } = picker(2);
  p.addPeer('a', bits(2, [0]));
  p.addPeer('b', bits(2, [0]));
  p.addPeer('c', bits(2, [1]));
  assert.equal(p.pick('a', 2, 0).length, 2);
  assert.deepEqual(p.pick('b', 2, 0), [], 'piece 1 is not started yet: no duplicates');
  assert.equal(p.pick('c', 2, 0).length, 2);
  assert.equal(p.pick('b', 2, 0).length, 2, 'now every piece is started: endgame');
});

test('a request that times out is released and goes to another peer', () => {
  const { p } = picker(1, { timeoutMs: 1000 });
  p.addPeer('slow', bits(1, [0]));
  p.addPeer('fast', bits(1, [0]));
  const slow = p.pick('slow', 2, 0);
  assert.equal(slow.length, 2);
  assert.deepEqual(p.expire(999), []);
  const expired = p.expire(1000);
  assert.deepEqual(expired.map((e) => e.peer), ['slow', 'slow']);
  assert.equal(p.outstanding('slow'), 0);
  assert.deepEqual(p.pick('fast', 2, 1000), slow);
  assert.equal(p.received('slow', slow[0]!).accepted, false, 'a late answer to a released request is ignored');
});

test('a peer that leaves releases its requests; its pieces no longer count', () => {
  const { p } = picker(2);
  p.addPeer('a', bits(2, [0, 1]));
  p.addPeer('b', bits(2, [0]));
  assert.equal(p.availability(0), 2);
  const refs = p.pick('a', 2, 0);
  assert.deepEqual(refs.map((r) => r.piece), [1, 1], 'piece 1 is the rarer');
  assert.deepEqual(p.removePeer('a'), refs);
  assert.equal(p.availability(0), 1);
  assert.equal(p.availability(1), 0);
  assert.deepEqual(p.pick('b', 2, 0).map((r) => r.piece), [0, 0]);
  p.addPeer('c', bits(2, [1]));
  assert.deepEqual(p.pick('c', 2, 0), refs, 'the released blocks go to the next peer that has them');
});

test('a failed piece names who sent its blocks and is fetched again', () => {
  const { p } = picker(1);
  p.addPeer('a', bits(1, [0]));
  p.addPeer('b', bits(1, [0]));
  const [ra] = p.pick('a', 1, 0);
  p.received('a', ra!);
  p.removePeer('a'); // b finishes the piece a started
  const [rb] = p.pick('b', 1, 0);
  assert.equal(p.received('b', rb!).pieceReady, true);
  assert.deepEqual(p.failed(0).sort(), ['a', 'b']);
  assert.equal(p.pick('b', 2, 0).length, 2, 'the piece starts over');
});

test('have announcements make pieces available', () => {
  const { p } = picker(3);
  p.addPeer('a', new Bitfield(3));
  assert.deepEqual(p.pick('a', 2, 0), []);
  p.peerHas('a', 1);
  p.peerHas('a', 1); // repeated: counted once
  p.peerHas('a', 7); // out of range: ignored
  assert.equal(p.availability(1), 1);
  assert.deepEqual(p.pick('a', 2, 0).map((r) => r.piece), [1, 1]);
});

test('the pipeline follows the measured rate, within bounds', () => {
  assert.equal(pipelineDepth(0), PIPELINE_MIN_BLOCKS);
  assert.equal(pipelineDepth(1e12), PIPELINE_MAX_BLOCKS);
  const mid = pipelineDepth(2 * 1024 * 1024);
  assert.ok(mid > PIPELINE_MIN_BLOCKS && mid < PIPELINE_MAX_BLOCKS, `2 MiB/s → ${mid}`);
  assert.ok(pipelineDepth(4 * 1024 * 1024) > mid, 'a faster peer gets a deeper pipeline');
  assert.equal(pipelineDepth(BLOCK_SIZE * 2 * 8), 8, '8 blocks in flight cover half a second at 16 blocks/s');
});

test('a piece a peer refused is not asked of it again, until it announces the piece anew', () => {
  const { p } = picker(2);
  p.addPeer('a', bits(2, all(2)));
  const first = p.pick('a', 2, 0);
  assert.deepEqual(first.map((r) => r.piece), [first[0]!.piece, first[0]!.piece]);
  const refusedPiece = first[0]!.piece;
  for (const r of first) p.refused('a', r);
  const next = p.pick('a', 4, 0);
  assert.ok(next.length > 0 && next.every((r) => r.piece !== refusedPiece), 'a goes on with the other piece only');
  p.addPeer('b', bits(2, all(2)));
  assert.ok(p.pick('b', 4, 0).some((r) => r.piece === refusedPiece), 'another peer gets the refused piece');
  p.peerHas('a', refusedPiece);
  p.removePeer('b');
  assert.ok(p.pick('a', 4, 0).some((r) => r.piece === refusedPiece), 'announced again: asked again');
});

test('property: under any order of picks, answers, refusals, timeouts and departures, the invariants hold and a download finishes', () => {
  type Op =
    | { kind: 'pick'; peer: number; slots: number }
    | { kind: 'answer'; peer: number; which: number }
    | { kind: 'refuse'; peer: number; which: number }
    | { kind: 'expire'; advance: number }
    | { kind: 'leave'; peer: number }
    | { kind: 'join'; peer: number };
  const peerIds = ['p0', 'p1', 'p2', 'p3'];
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('pick' as const), peer: fc.nat(3), slots: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant('answer' as const), peer: fc.nat(3), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('refuse' as const), peer: fc.nat(3), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('expire' as const), advance: fc.nat(1500) }),
    fc.record({ kind: fc.constant('leave' as const), peer: fc.nat(3) }),
    fc.record({ kind: fc.constant('join' as const), peer: fc.nat(3) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.array(fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }), { minLength: 4, maxLength: 4 }), fc.array(op, { maxLength: 80 }), fc.nat(), (pieces, holdings, ops, seed) => {
      const { p, have } = picker(pieces, { random: seeded(seed), fileSize: pieces * PIECE - 3, initialRandomPieces: 2, timeoutMs: 1000 });
      const bitsOf = (i: number) => bits(pieces, holdings[i]!.slice(0, pieces).flatMap((h, j) => (h ? [j] : [])));
      const outstanding = new Map<string, { piece: number; offset: number; length: number }[]>();
      const ready: number[] = [];
      let now = 0;
      for (const o of ops) {
        const peer = peerIds['peer' in o ? o.peer : 0]!;
        if (o.kind === 'join' && !p.hasPeer(peer)) {
          p.addPeer(peer, bitsOf(o.peer));
          outstanding.set(peer, []);
        } else if (o.kind === 'leave') {
          p.removePeer(peer);
          outstanding.delete(peer);
        } else if (o.kind === 'pick' && p.hasPeer(peer)) {
          const refs = p.pick(peer, o.slots, now);
          assert.ok(refs.length <= o.slots, 'no more requests than slots');
          const held = bitsOf(o.peer);
          for (const r of refs) {
            assert.ok(!have.has(r.piece), 'never a piece we hold');
            assert.ok(held.has(r.piece), 'never a piece the peer lacks');
            assert.ok(p.blockOf(r) >= 0, 'a well-formed block');
          }
          outstanding.get(peer)!.push(...refs);
        } else if ((o.kind === 'answer' || o.kind === 'refuse') && outstanding.get(peer)?.length) {
          const list = outstanding.get(peer)!;
          const [ref] = list.splice(o.which % list.length, 1);
          if (o.kind === 'refuse') p.refused(peer, ref!);
          else {
            const r = p.received(peer, ref!);
            for (const c of r.cancels) {
              const l = outstanding.get(c.peer);
              if (l) outstanding.set(c.peer, l.filter((x) => x.piece !== c.ref.piece || x.offset !== c.ref.offset));
            }
            if (r.pieceReady) ready.push(ref!.piece);
          }
        } else if (o.kind === 'expire') {
          now += o.advance;
          for (const e of p.expire(now)) {
            const l = outstanding.get(e.peer)!;
            outstanding.set(e.peer, l.filter((x) => x.piece !== e.ref.piece || x.offset !== e.ref.offset));
          }
        }
        for (const [peer, list] of outstanding) assert.equal(p.outstanding(peer), list.length, `${peer}'s outstanding count`);
        while (ready.length) p.verified(ready.shift()!);
      }
      // Then a full seeder joins and everything is answered in order: the download always finishes.
      p.addPeer('seed', bits(pieces, all(pieces)));
      for (let round = 0; round < 10 * pieces && !p.complete; round++) {
        now += 2000;
        p.expire(now); // whatever the others still hold times out
        for (const ref of p.pick('seed', 8, now)) {
          if (p.received('seed', ref).pieceReady) p.verified(ref.piece);
        }
      }
      assert.ok(p.complete, 'the download finishes');
    }),
    { numRuns: 300 },
  );
});

test('dropping a bad peer discards its blocks in unfinished pieces, so nobody else finishes them and takes the blame', () => {
  const { p } = picker(3);
  p.addPeer('bad', bits(3, all(3)));
  p.addPeer('good', bits(3, all(3)));
  const [fromBad] = p.pick('bad', 1, 0);
  p.received('bad', fromBad!); // half of a piece from the bad peer
  const fromGood = p.pick('good', 2, 0); // good works on another piece
  assert.ok(fromGood.every((r) => r.piece !== fromBad!.piece), 'good works on its own piece');
  assert.deepEqual(p.dropPeer('bad'), [fromBad!.piece]);
  assert.ok(!p.inflightPieces().has(fromBad!.piece), 'the piece starts over');
  // good's own piece is untouched; when good later takes the discarded piece, it fetches all of it.
  assert.equal(p.outstanding('good'), 2);
  for (const r of fromGood) p.received('good', r);
  const again = p.pick('good', 4, 0).filter((r) => r.piece === fromBad!.piece);
  assert.deepEqual(again.map((r) => r.offset), [0, 4], 'every block, including the one bad had sent');
  for (const r of again) p.received('good', r);
  assert.deepEqual(p.failed(fromBad!.piece), ['good'], 'were it to fail, only good sent it');
});

test('contributed: a peer that sent blocks of an unfinished piece shares its blame until it verifies or fails', () => {
  const { p } = picker(2);
  p.addPeer('a', bits(2, all(2)));
  const [r0] = p.pick('a', 1, 0);
  assert.equal(p.contributed('a'), false, 'asked, nothing received yet');
  p.received('a', r0!);
  p.removePeer('a');
  assert.equal(p.contributed('a'), true, 'gone, but a block of its is in an unfinished piece');
  p.failed(r0!.piece);
  assert.equal(p.contributed('a'), false, 'the piece failed: nothing of its is left');
  p.addPeer('b', bits(2, all(2)));
  const refs = p.pick('b', 2, 0);
  assert.equal(new Set(refs.map((r) => r.piece)).size, 1, 'both blocks of one piece');
  for (const r of refs) p.received('b', r);
  assert.equal(p.contributed('b'), true);
  p.verified(refs[0]!.piece);
  assert.equal(p.contributed('b'), false);
});
