/**
 * The minted TURN credential against a real coturn (`use-auth-secret`): a TURN
 * Allocate (the `stun` package's client) with it is accepted; with a forged
 * password or an expired username coturn refuses it (401). Needs coturn
 * (`turnserver`; .ci/run installs it): without it this test fails and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, startCoturn } from '../helpers/coturn.ts';
import { turnCredential, turnIceServers, TURN_TTL_MS } from '../../tracker-server/turn-credentials.ts';

const SECRET = 'coturn-test-secret-0123456789';
test('coturn accepts the minted credential and refuses a forged or expired one', async (t) => {
  const port = await startCoturn(t, SECRET);
  const [minted] = turnIceServers({ urls: [`turn:127.0.0.1:${port}`], secret: SECRET, ttlMs: TURN_TTL_MS }, 't-abc:12', Date.now());
  assert.deepEqual(await allocate(t, port, minted!.username!, minted!.credential!), { ok: true }, 'minted: a relay is allocated');
  const forged = turnCredential('not-the-secret-at-all-000', 't-abc:12', Math.floor(Date.now() / 1000) + 3600);
  assert.deepEqual(await allocate(t, port, forged.username, forged.credential), { ok: false, code: 401 }, 'forged: refused');
  const expired = turnCredential(SECRET, 't-abc:12', Math.floor(Date.now() / 1000) - 60);
  assert.deepEqual(await allocate(t, port, expired.username, expired.credential), { ok: false, code: 401 }, 'expired: refused');
});
