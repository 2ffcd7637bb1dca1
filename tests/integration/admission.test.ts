/**
 * Issue 8, item 11: connections are capped per address and in all, with
 * named close codes, and one that said hello but never logged in is closed
 * after a deadline. Idle sockets cannot exhaust the tracker's descriptors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../protocol/errors.ts';
import { helloSocket, rawSocket } from '../helpers/raw.ts';
import { TrackerClient } from '../../client/tracker.ts';
import { connectClient, eventually, startTestTracker, userClient, wsFactory } from '../helpers/tracker.ts';

test('past the per-address cap a connection is closed with TooManyFromAddress; a closed one frees its slot', async (t) => {
  const tracker = await startTestTracker(t, { maxConnectionsPerAddress: 3 });
  const held = [await helloSocket(t, tracker.wsUrl), await helloSocket(t, tracker.wsUrl), await helloSocket(t, tracker.wsUrl)];
  const fourth = await rawSocket(t, tracker.wsUrl);
  assert.equal((await fourth.closed).code, CloseCode.TooManyFromAddress);
  held[0]!.ws.close();
  await held[0]!.closed;
  const again = await helloSocket(t, tracker.wsUrl);
  assert.ok(again, 'the slot came back');
});

test('past the total cap a connection is closed with TrackerFull', async (t) => {
  const tracker = await startTestTracker(t, { maxConnections: 2 });
  await helloSocket(t, tracker.wsUrl);
  await helloSocket(t, tracker.wsUrl);
  const third = await rawSocket(t, tracker.wsUrl);
  assert.equal((await third.closed).code, CloseCode.TrackerFull);
  assert.equal(tracker.gateway.stats.connections, 2);
});

test('a connection that says hello and never logs in is closed with LoginTimeout; a logged-in one stays', async (t) => {
  const tracker = await startTestTracker(t, { unauthenticatedTimeoutMs: 400 });
  const alice = await userClient(t, tracker.wsUrl, 'alice');
  const idle = await helloSocket(t, tracker.wsUrl);
  assert.equal((await idle.closed).code, CloseCode.LoginTimeout);
  await alice.request('create_group', { groupId: 'kept' });
  assert.equal((await alice.request('list_groups', {})).groups.length, 1, 'the logged-in client was not cut');
  // Logging out starts the deadline again.
  const bob = await helloSocket(t, tracker.wsUrl);
  bob.send({ id: 'c', type: 'create_user', userId: 'bob', password: 'password1' });
  assert.equal((await bob.next('c')).ok, true);
  bob.send({ id: 'l', type: 'login', userId: 'bob', password: 'password1' });
  assert.equal((await bob.next('l')).ok, true);
  bob.send({ id: 'o', type: 'logout' });
  assert.equal((await bob.next('o')).ok, true);
  assert.equal((await bob.closed).code, CloseCode.LoginTimeout);
  const fresh = await connectClient(t, tracker.wsUrl);
  assert.ok(fresh.peerId, 'new clients are served');
});

test('a client left unauthenticated past the deadline comes back to the same tracker, not another', async (t) => {
  const a = await startTestTracker(t, { unauthenticatedTimeoutMs: 300 });
  const b = await startTestTracker(t, { trackerId: 'test-b' });
  const client = new TrackerClient({ urls: [a.wsUrl, b.wsUrl], createSocket: wsFactory });
  t.after(() => client.close());
  await client.connect();
  const first = client.peerId;
  await eventually(() => assert.notEqual(client.peerId, first, 'closed and reconnected'), 5000);
  await eventually(() => assert.equal(client.status, 'connected'));
  assert.equal(client.trackerId, 'test-a', 'back on the same tracker: it was never gone');
  await client.request('create_user', { userId: 'late', password: 'password1' });
  await client.login('late', 'password1');
});

test('an upgrade that fails its handshake gives its slot back', async (t) => {
  const { connect } = await import('node:net');
  const tracker = await startTestTracker(t, { maxConnectionsPerAddress: 1 });
  for (let i = 0; i < 3; i++) {
    const socket = connect(tracker.port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => undefined);
    socket.resume(); // read the 400 and the end, or 'close' never comes
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // An upgrade ws refuses (no Sec-WebSocket-Key): counted at the upgrade, never a Connection.
    socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await closed;
  }
  const s = await helloSocket(t, tracker.wsUrl);
  s.send({ id: 'p', type: 'ping' });
  assert.equal((await s.next('p')).ok, true, 'the one slot is free');
});
