/**
 * Turns under one upload cap (client/upload-turns.ts), on a fake clock: the
 * request that arrived first is served first, whichever link asks first, so
 * one downloader's pipelined blocks of a piece go out back to back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../client/rate.ts';
import { UploadTurns, type Timers } from '../../client/upload-turns.ts';

/** A clock and timers that move only when told. */
function fakeTime() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const api: Timers = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  return {
    now: () => now,
    timers: api,
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        // Whatever the last timer set going runs (and may set timers) before the next is due.
        await new Promise((r) => setImmediate(r));
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        now = due.at;
        due.fn();
        await new Promise((r) => setImmediate(r));
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

const KiB = 1024;

test('under a cap, requests are served in the order they arrived, not in the order links asked', async () => {
  const time = fakeTime();
  // 64 KiB/s with a 16 KiB burst: each 16 KiB block waits for its quarter second.
  const turns = new UploadTurns(new TokenBucket(64 * KiB, time.now, 16 * KiB), time.timers);
  // Link A's four blocks of one piece arrive first, then link B's four.
  const a = [0, 1, 2, 3].map(() => turns.ticket());
  const b = [0, 1, 2, 3].map(() => turns.ticket());
  const served: string[] = [];
  // Each link's serve loop asks for one block at a time; B asks before A each round.
  const loop = async (name: string, tickets: number[]) => {
    for (const ticket of tickets) {
      assert.equal(await turns.turn(ticket, 16 * KiB).ready, true);
      served.push(`${name}${tickets.indexOf(ticket)}`);
    }
  };
  const done = Promise.all([loop('b', b), loop('a', a)]);
  await time.advance(3000);
  await done;
  assert.deepEqual(served, ['b0', 'a0', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3'], 'the first block goes at once (burst); then A\'s piece whole, then B\'s');
});

test('the cap holds: blocks go no faster than the rate', async () => {
  const time = fakeTime();
  const turns = new UploadTurns(new TokenBucket(64 * KiB, time.now, 16 * KiB), time.timers);
  let sent = 0;
  void (async () => {
    for (let i = 0; i < 40; i++) {
      await turns.turn(turns.ticket(), 16 * KiB).ready;
      sent += 16 * KiB;
    }
  })();
  await time.advance(2000);
  // 2 s at 64 KiB/s plus the burst, one block of debt at most.
  assert.ok(sent <= 2 * 64 * KiB + 16 * KiB + 16 * KiB, `${sent} bytes in 2 s`);
  assert.ok(sent >= 2 * 64 * KiB, `${sent} bytes in 2 s`);
});

test('a cancelled turn gives way to the next, and says it was not granted', async () => {
  const time = fakeTime();
  const turns = new UploadTurns(new TokenBucket(64 * KiB, time.now, 16 * KiB), time.timers);
  // Spends the burst, then a block into debt: the next turns must wait.
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  const first = turns.turn(turns.ticket(), 16 * KiB);
  const second = turns.turn(turns.ticket(), 16 * KiB);
  const order: string[] = [];
  void first.ready.then((g) => order.push(`first ${g}`));
  void second.ready.then((g) => order.push(`second ${g}`));
  first.cancel();
  await time.advance(600);
  assert.deepEqual(order, ['first false', 'second true']);
});

test('without a cap every turn is granted at once', async () => {
  const turns = new UploadTurns(new TokenBucket(Infinity, Date.now));
  const results = await Promise.all([0, 1, 2].map(() => turns.turn(turns.ticket(), 64 * KiB).ready));
  assert.deepEqual(results, [true, true, true]);
});

test('raising the cap lets waiting turns go without waiting out the old rate', async () => {
  const time = fakeTime();
  const bucket = new TokenBucket(1 * KiB, time.now, 16 * KiB);
  const turns = new UploadTurns(bucket, time.timers);
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  let granted = false;
  void turns.turn(turns.ticket(), 16 * KiB).ready.then(() => (granted = true));
  bucket.setRate(Infinity);
  turns.poke();
  await time.advance(0);
  assert.equal(granted, true);
});

test('under a cap, a block of a piece already sent to another link waits behind blocks of pieces nobody has been sent', async () => {
  const time = fakeTime();
  const turns = new UploadTurns(new TokenBucket(64 * KiB, time.now, 16 * KiB), time.timers);
  // Spends the burst and a block of debt: what follows waits for its turn.
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  // Per piece, the links sent blocks of it; a request's rank is how many others were (as client/swarm.ts counts).
  const sentTo = new Map<number, Set<string>>([[7, new Set(['a'])]]);
  const rank = (link: string, piece: number) => () => {
    const to = sentTo.get(piece);
    return to ? to.size - (to.has(link) ? 1 : 0) : 0;
  };
  const order: string[] = [];
  const ask = (name: string, link: string, piece: number) =>
    turns.turn(turns.ticket(), 16 * KiB, rank(link, piece)).ready.then((granted) => {
      assert.equal(granted, true);
      order.push(name);
      let to = sentTo.get(piece);
      if (!to) sentTo.set(piece, (to = new Set()));
      to.add(link);
    });
  // B asks first for piece 7, which A already got blocks of: a copy. C and D ask for pieces nobody has.
  const all = [ask('b7', 'b', 7), ask('c8', 'c', 8), ask('a7', 'a', 7), ask('d9', 'd', 9), ask('c8+', 'c', 8), ask('d8', 'd', 8)];
  await time.advance(3000);
  await Promise.all(all);
  // a7 is A's own piece (rank 0); d8 became a copy once c8 went; b7 and d8 go last, in the order they came.
  assert.deepEqual(order, ['c8', 'a7', 'd9', 'c8+', 'b7', 'd8']);
});

test('a copy is put off, never refused: with nothing fresher waiting it goes in its turn', async () => {
  const time = fakeTime();
  const turns = new UploadTurns(new TokenBucket(64 * KiB, time.now, 16 * KiB), time.timers);
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  await turns.turn(turns.ticket(), 16 * KiB).ready;
  const order: number[] = [];
  const all = [3, 1, 2].map((r, i) => turns.turn(turns.ticket(), 16 * KiB, () => r).ready.then((g) => g && order.push(i)));
  await time.advance(1000);
  await Promise.all(all);
  assert.deepEqual(order, [1, 2, 0], 'lowest rank first, every one granted');
});
