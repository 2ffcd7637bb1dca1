/**
 * TURN with short-lived credentials (issue 10 item 2): only a signed-in
 * connection gets a TURN server, with a credential minted for its user that
 * the client refreshes before it expires and drops at log-out; an anonymous
 * hello gets STUN only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { WebSocket } from 'ws';
import { TrackerClient } from '../../client/tracker.ts';
import type { SocketLike } from '../../client/ports.ts';
import type { IceServer } from '../../protocol/replies.ts';
import { eventually, startTestTracker, type Teardown } from '../helpers/tracker.ts';
import { rawSocket } from '../helpers/raw.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

const SECRET = 'a-test-turn-secret-0123456789';
const TURN = { turnUrls: ['turn:127.0.0.1:3478?transport=udp'], turnSecret: SECRET };

const turnEntry = (servers: IceServer[]) => servers.find((s) => [s.urls].flat().some((u) => u.startsWith('turn')));

/** A client whose sockets record the type of every request sent. */
function recordingClient(t: Teardown, url: string, sent: string[], sockets: WebSocket[] = []): TrackerClient {
  const client = new TrackerClient({
    urls: [url],
    requestTimeoutMs: 10_000,
    createSocket: (u: string) => {
      const ws = new WebSocket(u);
      sockets.push(ws);
      const send = ws.send.bind(ws);
      ws.send = ((data: string) => {
        sent.push(JSON.parse(data).type);
        send(data);
      }) as typeof ws.send;
      return ws as unknown as SocketLike;
    },
  });
  t.after(() => client.close());
  return client;
}

test('anonymous hello gets STUN only; login gets TURN with a credential minted for the user', async (t) => {
  const tracker = await startTestTracker(t, TURN);
  const stun = { urls: `stun:127.0.0.1:${tracker.stunPort}` };
  const s = await rawSocket(t, tracker.wsUrl);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.deepEqual((await s.next('h')).iceServers, [stun], 'no relay for strangers');
  s.send({ id: 'i', type: 'ice_servers' });
  assert.equal(((await s.next('i')).error as { code: string }).code, ErrorCode.Unauthenticated, 'nor by asking');

  s.send({ id: 'u', type: 'create_user', userId: 'alice', password: 'password1' });
  await s.next('u');
  s.send({ id: 'l', type: 'login', userId: 'alice', password: 'password1' });
  const login = await s.next('l');
  const servers = login.iceServers as IceServer[];
  assert.deepEqual(servers[0], stun, 'our STUN still first');
  const turn = turnEntry(servers)!;
  assert.deepEqual(turn.urls, TURN.turnUrls);
  const [expiry, ...key] = turn.username!.split(':');
  const userKey = tracker.core.state.users.get('alice')!.key;
  assert.equal(key.join(':'), userKey);
  const ttlSec = Number(expiry) - Date.now() / 1000;
  assert.ok(ttlSec > 11.9 * 3600 && ttlSec <= 12 * 3600 + 60, `expires in about 12 h (${ttlSec} s)`);
  assert.equal(turn.credential, createHmac('sha1', SECRET).update(turn.username!).digest('base64'));
  assert.equal(login.iceRefreshMs, 6 * 3600_000, 'asked again at half its life');

  s.send({ id: 'i2', type: 'ice_servers' });
  const fresh = await s.next('i2');
  assert.ok(fresh.ok);
  assert.ok(turnEntry(fresh.iceServers as IceServer[]), 'signed in, ice_servers mints one');
});

test('the client dials with TURN while signed in, refreshes it before expiry and on resume, and drops it at logout', async (t) => {
  const tracker = await startTestTracker(t, { ...TURN, turnTtlMs: 2000 });
  const sent: string[] = [];
  const client = recordingClient(t, tracker.wsUrl, sent);
  await client.connect();
  assert.equal(turnEntry(client.iceServers), undefined);
  await client.request('create_user', { userId: 'bob', password: 'password1' });
  await client.login('bob', 'password1');
  assert.ok(turnEntry(client.iceServers), 'signed in: TURN in the servers the swarm dials with');
  // ttl 2 s: the client asks again at 1 s, and again after that.
  await eventually(() => assert.ok(sent.filter((x) => x === 'ice_servers').length >= 2, sent.join(',')), 5000);
  assert.ok(turnEntry(client.iceServers));

  // A second tab resuming the session gets its own fresh one.
  const other = recordingClient(t, tracker.wsUrl, []);
  await other.connect();
  await other.resume(client.token!);
  assert.ok(turnEntry(other.iceServers), 'resume brings TURN');

  await client.logout();
  assert.deepEqual(client.iceServers, [{ urls: `stun:127.0.0.1:${tracker.stunPort}` }], 'after logout: STUN only');
  const before = sent.filter((x) => x === 'ice_servers').length;
  await new Promise((r) => setTimeout(r, 1500)); // past a refresh period: nothing asked any more
  assert.equal(sent.filter((x) => x === 'ice_servers').length, before, 'no renewal after logout');
});

test('after a dropped connection the client resumes and takes the resume reply\'s fresh TURN credential', async (t) => {
  const tracker = await startTestTracker(t, TURN);
  const sent: string[] = [];
  const sockets: WebSocket[] = [];
  const client = recordingClient(t, tracker.wsUrl, sent, sockets);
  await client.connect();
  await client.request('create_user', { userId: 'carol', password: 'password1' });
  await client.login('carol', 'password1');
  const first = turnEntry(client.iceServers)!;
  // Invalidate what the client holds, so only a fresh reply can make it valid again.
  (first as { credential?: string }).credential = 'stale';
  sockets[0]!.terminate();
  await eventually(() => assert.ok(sockets.length >= 2 && sent.includes('resume'), sent.join(',')), 10_000);
  await eventually(() => {
    const turn = turnEntry(client.iceServers)!;
    assert.equal(turn.credential, createHmac('sha1', SECRET).update(turn.username!).digest('base64'), 'the resume reply brought a valid one');
  }, 10_000);
});
