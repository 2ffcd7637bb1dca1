import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../client/buffer-pool.ts';

test('a buffer given back is the next one taken, so its pages stay mapped', () => {
  const pool = new BufferPool(1024, 2);
  const a = pool.take();
  assert.equal(a.byteLength, 1024);
  pool.give(a);
  assert.equal(pool.take(), a);
  assert.notEqual(pool.take(), a, 'an empty pool allocates');
});

test('view gives a view of the requested length at the start of a pooled buffer', () => {
  const pool = new BufferPool(1024, 2);
  const a = pool.take();
  pool.give(a);
  const v = pool.view(100);
  assert.equal(v.buffer, a);
  assert.equal(v.byteOffset, 0);
  assert.equal(v.length, 100);
  const big = pool.view(4096);
  assert.equal(big.length, 4096, 'longer than the pool size: a buffer of its own');
  pool.give(big.buffer);
  assert.equal(pool.spares, 0, 'a buffer of another size is not kept');
});

test('at most `keep` spares are held', () => {
  const pool = new BufferPool(64, 2);
  for (let i = 0; i < 5; i++) pool.give(new ArrayBuffer(64));
  assert.equal(pool.spares, 2);
});

test('a detached buffer (transferred away) is not kept: a view of it would throw', () => {
  const pool = new BufferPool(64, 2);
  const b = new ArrayBuffer(64);
  structuredClone(b, { transfer: [b] });
  assert.equal(b.byteLength, 0);
  pool.give(b);
  assert.equal(pool.spares, 0);
  assert.equal(pool.view(10).length, 10);
});

test('a buffer given twice is handed out once', () => {
  const pool = new BufferPool(64, 4);
  const b = new ArrayBuffer(64);
  pool.give(b);
  pool.give(b);
  assert.equal(pool.spares, 1);
  assert.equal(pool.take(), b);
  assert.notEqual(pool.take(), b);
});
