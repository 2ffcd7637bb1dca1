/**
 * Request dedupe is scoped to the requester: a request id is a client's own,
 * so another connection sending the same id gets its own reply, never the
 * first client's (in flight or rebuilt from its op). Raw WebSockets, so the
 * attacker controls the ids exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors.ts';
import { helloSocket } from '../helpers/raw.ts';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { TrackerClient } from '../../client/tracker.ts';
import { eventually, startTestTracker, wsFactory } from '../helpers/tracker.ts';

/** The default scrypt cost: a log-in then stays in flight long enough (~100 ms) to be raced. */
const SLOW_SCRYPT = { N: 1 << 15, r: 8, p: 1 };

const code = (reply: Record<string, unknown>) => (reply.error as { code?: string } | undefined)?.code;

test("a log-in in flight is not shared with another connection that sends the same id", async (t) => {
  const tracker = await startTestTracker(t, { scrypt: SLOW_SCRYPT });
  const victim = await helloSocket(t, tracker.wsUrl);
  victim.send({ id: 'app-6', type: 'create_user', userId: 'vic', password: 'password1' });
  assert.equal((await victim.next('app-6')).ok, true);
  const attacker = await helloSocket(t, tracker.wsUrl);

  const before = tracker.gateway.stats.requests;
  victim.send({ id: 'app-7', type: 'login', userId: 'vic', password: 'password1' });
  // The victim's log-in is being handled (hashing its password) before the attacker's frame goes.
  await eventually(() => assert.equal(tracker.gateway.stats.requests, before + 1), 5000, 1);
  attacker.send({ id: 'app-7', type: 'login', userId: 'vic', password: 'a-wrong-guess' });

  const stolen = await attacker.next('app-7');
  assert.equal(stolen.token, undefined, 'the attacker must not receive the victim\'s token');
  assert.equal(code(stolen), ErrorCode.BadCredentials, 'the attacker gets the answer to its own request');
  const real = await victim.next('app-7');
  assert.equal(real.ok, true);
  assert.equal(typeof real.token, 'string');
});

test('a request applied for one connection is not replayed to another that reuses its id', async (t) => {
  const tracker = await startTestTracker(t);
  const victim = await helloSocket(t, tracker.wsUrl);
  victim.send({ id: 'signup-1', type: 'create_user', userId: 'vic', password: 'password1' });
  assert.equal((await victim.next('signup-1')).ok, true);
  victim.send({ id: 'login-1', type: 'login', userId: 'vic', password: 'password1' });
  assert.equal((await victim.next('login-1')).ok, true);

  const attacker = await helloSocket(t, tracker.wsUrl);
  // The same id and body as the victim's sign-up: it is the attacker's own sign-up, and the name is taken.
  attacker.send({ id: 'signup-1', type: 'create_user', userId: 'vic', password: 'password1' });
  assert.equal(code(await attacker.next('signup-1')), ErrorCode.UserExists);
  // The victim's log-in id with a guessed password: checked as the attacker's own log-in.
  attacker.send({ id: 'login-1', type: 'login', userId: 'vic', password: 'a-wrong-guess' });
  assert.equal(code(await attacker.next('login-1')), ErrorCode.BadCredentials);
  assert.equal(tracker.core.state.sessions.size, 1);
});

test('the client sends unguessable request ids and one instance secret on every connection', async (t) => {
  // A bare WebSocket server standing in for a tracker records what the client sends.
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => {
    for (const ws of server.clients) ws.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const frames: Record<string, unknown>[] = [];
  server.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      frames.push(m);
      // Well-formed replies: the client checks every reply against its schema.
      const body =
        m.type === 'hello' ? { trackerId: 'fake', peerId: 'fakepeer1', trackers: [], iceServers: [] } : m.type === 'list_groups' ? { groups: [] } : {};
      ws.send(JSON.stringify({ id: m.id, ok: true, ...body }));
      // Drop the first connection after its first request, so the client opens a second one.
      if (m.type === 'list_groups' && frames.filter((f) => f.type === 'hello').length === 1) ws.terminate();
    }),
  );
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  const client = new TrackerClient({ urls: [url], createSocket: wsFactory, reconnectDelayMs: 20 });
  t.after(() => client.close());
  await client.connect();
  await client.request('list_groups', {});
  await client.request('list_groups', {});
  await eventually(() => assert.equal(frames.filter((f) => f.type === 'hello').length, 2, 'reconnected'));
  const hellos = frames.filter((f) => f.type === 'hello');
  assert.match(String(hellos[0]!.client), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(hellos[1]!.client, hellos[0]!.client, 'the same instance secret on the new connection');
  const ids = frames.map((f) => String(f.id));
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/, 'random, not prefix-counter');
  assert.equal(new Set(ids).size, ids.length);
  const other = new TrackerClient({ urls: [url], createSocket: wsFactory });
  t.after(() => other.close());
  await other.connect();
  assert.notEqual(frames.filter((f) => f.type === 'hello').at(-1)!.client, hellos[0]!.client, 'each instance its own secret');
});
