import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeedLimitStore } from '../../web/src/ui/speed-limit-store.ts';

const memory = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
};

test('speed limits are kept per user; none reads as none; junk reads as none', () => {
  const storage = memory();
  const store = new SpeedLimitStore(storage);
  assert.deepEqual(store.load('bob'), { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 });
  store.save('bob', { downloadBytesPerSecond: 153600, uploadBytesPerSecond: 71680 });
  assert.deepEqual(store.load('bob'), { downloadBytesPerSecond: 153600, uploadBytesPerSecond: 71680 });
  assert.deepEqual(store.load('carol'), { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 }, 'each user their own');
  store.save('bob', { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 });
  assert.equal(storage.m.size, 0, 'no limits leave no entry');
  storage.setItem('meshdrop.limits.dave', '{"downloadBytesPerSecond":-5,"uploadBytesPerSecond":"x"}');
  assert.deepEqual(store.load('dave'), { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 });
  storage.setItem('meshdrop.limits.erin', 'not json');
  assert.deepEqual(store.load('erin'), { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 });
  // Storage that throws (blocked): nothing kept, nothing thrown.
  const blocked = new SpeedLimitStore({ getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('blocked'); }, removeItem: () => undefined });
  blocked.save('bob', { downloadBytesPerSecond: 1, uploadBytesPerSecond: 0 });
  assert.deepEqual(blocked.load('bob'), { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 });
});
