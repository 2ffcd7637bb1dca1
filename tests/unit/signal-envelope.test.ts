/** The envelope a peer signal travels in (protocol/signal.ts): what a swarm accepts, and what it ignores. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignalEnvelope } from '../../protocol/signal.ts';

test('an envelope names its connection and carries the transport signal as is', () => {
  const data = { type: 'offer', sdp: 'v=0' };
  assert.deepEqual(parseSignalEnvelope({ conn: 'abc-1-0', data }), { conn: 'abc-1-0', data });
  assert.deepEqual(parseSignalEnvelope({ conn: 'abc-1-0', data: null, busy: true }), { conn: 'abc-1-0', data: null, busy: true });
});

test('anything else is not an envelope, and parsing never throws', () => {
  const bad: unknown[] = [
    null,
    'text',
    42,
    {},
    { conn: 'a' }, // no data at all
    { conn: 7, data: {} },
    { conn: 'x'.repeat(65), data: {} }, // a connection id too long to remember
    { conn: 'a', data: {}, busy: 'yes' },
  ];
  for (const b of bad) assert.equal(parseSignalEnvelope(b), undefined, JSON.stringify(b));
});
