import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlushBeforeSave } from '../../web/src/platform/flush-before-save.ts';

/** A flush the test finishes by hand, and a record of which files were flushed. */
function manualFlushes() {
  const calls: { fileId: string; finish: () => void; fail: (err: Error) => void }[] = [];
  const flush = (fileId: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ fileId, finish: resolve, fail: reject });
    });
  return { calls, gate: new FlushBeforeSave(flush) };
}

/** Whether `p` has settled by the time pending callbacks have run. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

test('a save with nothing written since the last flush flushes nothing and goes at once', async () => {
  const { calls, gate } = manualFlushes();
  await gate.settled('f');
  assert.equal(calls.length, 0);
});

test('a save after a piece was written waits until that piece is flushed', async () => {
  const { calls, gate } = manualFlushes();
  gate.written('f');
  const save = gate.settled('f');
  assert.deepEqual(calls.map((c) => c.fileId), ['f'], 'one flush, of that file');
  assert.equal(await settledYet(save), false, 'the record waits for the flush');
  calls[0]!.finish();
  await save;
});

test('pieces written together share one flush; another file is flushed on its own', async () => {
  const { calls, gate } = manualFlushes();
  gate.written('f');
  gate.written('f');
  gate.written('g');
  const f = gate.settled('f');
  assert.deepEqual(calls.map((c) => c.fileId), ['f']);
  calls[0]!.finish();
  await f;
  const g = gate.settled('g');
  assert.deepEqual(calls.map((c) => c.fileId), ['f', 'g']);
  calls[1]!.finish();
  await g;
});

test('a second save while the first one’s flush runs waits for that flush too', async () => {
  // Its bitfield may claim the pieces that flush covers: it must not reach the disk first.
  const { calls, gate } = manualFlushes();
  gate.written('f');
  const first = gate.settled('f');
  const second = gate.settled('f');
  assert.equal(calls.length, 1, 'nothing new was written: no second flush');
  assert.equal(await settledYet(second), false);
  calls[0]!.finish();
  await Promise.all([first, second]);
});

test('a piece written while a flush runs gets a flush of its own before the next save', async () => {
  const { calls, gate } = manualFlushes();
  gate.written('f');
  const first = gate.settled('f');
  gate.written('f');
  const second = gate.settled('f');
  assert.equal(calls.length, 2);
  calls[0]!.finish();
  await first;
  assert.equal(await settledYet(second), false, 'the second save waits for the flush that covers its piece');
  calls[1]!.finish();
  await second;
});

test('a failed flush fails the save, and the next save flushes again', async () => {
  const { calls, gate } = manualFlushes();
  gate.written('f');
  const save = gate.settled('f');
  calls[0]!.fail(new Error('disk gone'));
  await assert.rejects(save, /disk gone/);
  const retry = gate.settled('f');
  assert.equal(calls.length, 2, 'the pieces are still unflushed: flushed again');
  calls[1]!.finish();
  await retry;
});

test('a deleted file has nothing left to flush', async () => {
  const { calls, gate } = manualFlushes();
  gate.written('f');
  gate.forget('f');
  await gate.settled('f');
  assert.equal(calls.length, 0);
});
