/** TURN REST credentials (tracker-server/turn-credentials.ts), against a vector computed outside Node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TURN_URL_PATTERN, turnCredential, turnIceServers } from '../../tracker-server/turn-credentials.ts';

// printf '%s' '1767225600:u-alice' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
const OPENSSL_VECTOR = '3+bheSkiKjp/ZMX3KXabR9Efv4M=';

test('turnCredential: username expiry:userKey, password base64 HMAC-SHA1 as openssl computes it', () => {
  assert.deepEqual(turnCredential('north-wind-secret', 'u-alice', 1767225600), { username: '1767225600:u-alice', credential: OPENSSL_VECTOR });
});

test('turnIceServers: none without TURN; expiry = now + ttl rounded up to the minute; interchangeable across trackers', () => {
  assert.deepEqual(turnIceServers(undefined, 'u-alice', 0), []);
  const turn = { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], secret: 'north-wind-secret', ttlMs: 12 * 3600_000 };
  const now = 1767225600_000 - 12 * 3600_000 - 30_000; // expiry lands 30 s before a whole minute
  const [server] = turnIceServers(turn, 'u-alice', now);
  assert.deepEqual(server, { urls: turn.urls, username: '1767225600:u-alice', credential: OPENSSL_VECTOR });
  assert.deepEqual(turnIceServers({ ...turn }, 'u-alice', now + 20_000), [server], 'another tracker, a little later, same secret: the same credential');
  assert.notDeepEqual(turnIceServers({ ...turn, secret: 'other' }, 'u-alice', now), [server]);
});

test('TURN_URL_PATTERN: turn:/turns:, host, port, transport udp|tcp only', () => {
  for (const ok of ['turn:t.example.org', 'turn:t.example.org:3478', 'turns:t.example.org:5349?transport=tcp', 'turn:[2001:db8::1]:3478?transport=udp', 'turn:203.0.113.9'])
    assert.match(ok, TURN_URL_PATTERN);
  for (const bad of ['stun:t.example.org', 'turn://t.example.org', 'turn:t.example.org?transport=sctp', 'turn:', 'turn:t example', 'http://x'])
    assert.doesNotMatch(bad, TURN_URL_PATTERN);
});
