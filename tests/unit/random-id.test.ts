/** The client's ids are unguessable: random base64url, never a counter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomId } from '../../client/random-id.ts';

test('random ids: base64url of the asked length, no repeats, every symbol used', () => {
  const ids = Array.from({ length: 5000 }, () => randomId());
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(new Set(ids.join('')).size, 64, 'all 64 symbols appear');
  assert.match(randomId(43), /^[A-Za-z0-9_-]{43}$/);
});
