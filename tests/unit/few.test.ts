/** few.ts: a set held bare while it has one member. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fewAdd, fewDelete, fewHas, fewSize, fewValues, type Few } from '../../tracker-server/few.ts';

test('one member is held bare, a second makes a Set, and back to bare and to nothing', () => {
  let f: Few<string> = undefined;
  assert.equal(fewSize(f), 0);
  assert.deepEqual([...fewValues(f)], []);
  f = fewAdd(f, 'a');
  assert.equal(f, 'a');
  assert.equal(fewAdd(f, 'a'), 'a', 'adding it again changes nothing');
  f = fewAdd(f, 'b');
  assert.ok(f instanceof Set);
  assert.equal(fewSize(f), 2);
  assert.ok(fewHas(f, 'a') && fewHas(f, 'b') && !fewHas(f, 'c'));
  f = fewAdd(f, 'c');
  assert.deepEqual([...fewValues(f)], ['a', 'b', 'c']);
  f = fewDelete(f, 'b');
  assert.equal(fewSize(f), 2);
  f = fewDelete(f, 'a');
  assert.equal(f, 'c', 'one left: bare again');
  assert.equal(fewDelete(f, 'x'), 'c', 'deleting a non-member changes nothing');
  f = fewDelete(f, 'c');
  assert.equal(f, undefined);
  assert.equal(fewDelete(f, 'c'), undefined);
});

test('objects as members: by identity', () => {
  const x = { n: 1 };
  const y = { n: 1 };
  let f: Few<object> = fewAdd(undefined, x);
  assert.ok(fewHas(f, x) && !fewHas(f, y));
  f = fewAdd(f, y);
  assert.equal(fewSize(f), 2);
  f = fewDelete(f, x);
  assert.equal(f, y);
});
