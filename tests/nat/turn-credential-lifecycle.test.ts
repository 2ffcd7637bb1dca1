/**
 * TURN credentials end to end: a real tracker (`--turn-url`, `--turn-secret`,
 * a short `--turn-ttl`) and a real coturn (`use-auth-secret`). What
 * tests/integration/turn.test.ts proves inside the tracker and
 * turn-coturn.test.ts proves of the minting function, this proves between
 * the two: an anonymous connection has nothing to allocate with; the
 * credential a login hands out gets a relay; a forged one, or one whose
 * expiry the user pushed forward, is refused by coturn; and after logout the
 * session gets no new credential (the connection is refused one, the old
 * token cannot resume), so the last one it holds dies at its expiry, inside
 * the TTL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../protocol/replies.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { allocate, startCoturn } from '../helpers/coturn.ts';
import { rawSocket } from '../helpers/raw.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

const SECRET = 'lifecycle-turn-secret-0123456789';
/** Short, so the last credential a logged-out browser holds is shown to die soon (--turn-ttl). */
const TTL_MS = 4000;

const turnEntry = (servers: unknown) => ((servers ?? []) as IceServer[]).find((s) => [s.urls].flat().some((u) => u.startsWith('turn:')));

test('an anonymous connection gets no TURN credential; a login\'s is accepted by coturn, forged or stretched ones are not, and after logout it is not renewed', { timeout: 60_000 }, async (t) => {
  const port = await startCoturn(t, SECRET);
  const tracker = await startTestTracker(t, { turnUrls: [`turn:127.0.0.1:${port}?transport=udp`], turnSecret: SECRET, turnTtlMs: TTL_MS });

  const s = await rawSocket(t, tracker.wsUrl);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal(turnEntry((await s.next('h')).iceServers), undefined, 'anonymous: no TURN server, so no credential to present');

  s.send({ id: 'u', type: 'create_user', userId: 'alice', password: 'password1' });
  await s.next('u');
  s.send({ id: 'l', type: 'login', userId: 'alice', password: 'password1' });
  const login = await s.next('l');
  const turn = turnEntry(login.iceServers)!;
  assert.ok(turn, 'signed in: a TURN server with a credential');
  assert.deepEqual(await allocate(t, port, turn.username!, turn.credential!), { ok: true }, 'coturn allocates a relay for the minted credential');

  const [expiry, ...rest] = turn.username!.split(':');
  const stretched = `${Number(expiry) + 30 * 24 * 3600}:${rest.join(':')}`;
  assert.deepEqual(await allocate(t, port, stretched, turn.credential!), { ok: false, code: 401 }, 'its expiry pushed forward: refused');
  const forged = createHmac('sha1', 'a-guessed-secret').update(turn.username!).digest('base64');
  assert.deepEqual(await allocate(t, port, turn.username!, forged), { ok: false, code: 401 }, 'signed with another secret: refused');

  s.send({ id: 'o', type: 'logout' });
  assert.equal((await s.next('o')).ok, true);
  s.send({ id: 'i', type: 'ice_servers' });
  assert.equal(((await s.next('i')).error as { code: string }).code, ErrorCode.Unauthenticated, 'after logout the connection gets no new credential');
  const again = await rawSocket(t, tracker.wsUrl);
  again.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  await again.next('h');
  again.send({ id: 'r', type: 'resume', token: login.token });
  const resumed = await again.next('r');
  assert.equal(resumed.ok, false, 'nor by resuming the ended session');
  assert.equal(turnEntry(resumed.iceServers), undefined);

  // What the browser still holds dies at its expiry: within the TTL, rounded up to the minute (turn-credentials.ts).
  // coturn refusing a credential past its expiry is turn-coturn.test.ts's; waiting up to a minute here adds nothing.
  const expiresInSec = Number(expiry) - Date.now() / 1000;
  assert.ok(expiresInSec > 0 && expiresInSec <= TTL_MS / 1000 + 60, `the last credential expires within the TTL (${expiresInSec} s)`);
});
