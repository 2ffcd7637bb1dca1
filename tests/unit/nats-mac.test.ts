/** The NATS message MAC (tracker-server/mesh/nats-mac.ts), as a pure function. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsSigner } from '../../tracker-server/mesh/nats-mac.ts';
import { NATS_MAC_MAX_AGE_MS } from '../../protocol/mesh.ts';

const enc = new TextEncoder();
const payload = enc.encode('{"origin":"ta","seq":1}');

test('nats mac: a signed message verifies; anything changed does not', () => {
  const signer = new NatsSigner('secret');
  const mac = signer.sign('meshdrop.ops.ta', payload);
  assert.match(mac, /^[0-9a-f]{64}$/);
  assert.equal(signer.verify('meshdrop.ops.ta', payload, mac), 'ok');
  assert.equal(signer.verify('meshdrop.ops.tb', payload, mac), 'bad', 'another subject');
  assert.equal(signer.verify('meshdrop.ops.ta', enc.encode('{"origin":"ta","seq":2}'), mac), 'bad', 'another payload');
  assert.equal(new NatsSigner('other').verify('meshdrop.ops.ta', payload, mac), 'bad', 'another secret');
  assert.equal(signer.verify('meshdrop.ops.ta', payload, undefined), 'unsigned');
  assert.equal(signer.verify('meshdrop.ops.ta', payload, 'zz'), 'bad', 'not hex');
  assert.equal(signer.verify('meshdrop.ops.ta', payload, mac.toUpperCase()), 'bad', 'not the canonical form');
});

test('nats mac: soft state carries its time; a changed or stale time is refused', () => {
  const signer = new NatsSigner('secret');
  const now = 1_700_000_000_000;
  const mac = signer.sign('meshdrop.heartbeat', payload, now);
  assert.equal(signer.verify('meshdrop.heartbeat', payload, mac, String(now), now + 1000), 'ok');
  assert.equal(signer.verify('meshdrop.heartbeat', payload, mac, String(now + 1), now), 'bad', 'time changed');
  assert.equal(signer.verify('meshdrop.heartbeat', payload, mac, undefined, now), 'bad', 'time dropped');
  assert.equal(signer.verify('meshdrop.heartbeat', payload, mac, String(now), now + NATS_MAC_MAX_AGE_MS + 1), 'stale');
  assert.equal(signer.verify('meshdrop.heartbeat', payload, mac, 'soon', now), 'bad');
});
