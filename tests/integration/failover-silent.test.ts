/**
 * A tracker that vanishes without closing anything (a host powered off, a
 * network dropping packets): the client notices the silence, moves to another
 * tracker with its session, and re-announces what it holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { TrackerClient } from '../../client/tracker.ts';
import { eventually, startTestTracker, userClient, wsFactory } from '../helpers/tracker.ts';
import { startProxy } from '../helpers/proxy.ts';
import { randomFile } from '../helpers/files.ts';
import { liveSession } from '../../tracker-server/state/queries.ts';
import { hashToken } from '../../tracker-server/auth.ts';

test('a client whose tracker falls silent moves to another, session and presence intact', async (t) => {
  const secret = 'silent-secret';
  const a = await startTestTracker(t, { trackerId: 'ta', secret });
  const b = await startTestTracker(t, { trackerId: 'tb', secret, peers: [a.wsUrl.replace(/\/ws$/, '')] });
  const viaProxy = await startProxy(t, a.port);

  // The owner sits on b and watches the file; the sharer reaches a through the proxy.
  const owner = await userClient(t, b.wsUrl, 'owner');
  await owner.request('create_group', { groupId: 'g' });
  const sharer = new TrackerClient({
    urls: [`ws://127.0.0.1:${viaProxy.port}/ws`, b.wsUrl],
    createSocket: wsFactory,
    idlePingMs: 300,
    pingTimeoutMs: 300,
  });
  t.after(() => sharer.close());
  await sharer.connect();
  assert.equal(sharer.trackerId, 'ta');
  await sharer.request('create_user', { userId: 'sharer', password: 'password1' });
  await sharer.login('sharer', 'password1');
  await eventually(() => assert.ok(b.core.state.users.has('sharer'), 'the account replicated to b'));
  await sharer.request('join_group', { groupId: 'g' });
  await eventually(() => assert.equal(b.core.state.groups.get('g')?.members.get('sharer')?.status, 'pending', 'request replicated'));
  await owner.request('accept_request', { groupId: 'g', userId: 'sharer' });
  await eventually(() => assert.equal(a.core.state.groups.get('g')?.members.get('sharer')?.status, 'member', 'acceptance replicated'));
  const { fileId, meta } = randomFile('g');
  await sharer.request('upload_file', { fileId, meta });
  await sharer.announce(fileId, Bitfield.full(meta.pieceHashes.length));

  const moved = new Promise<string>((resolve) => sharer.on('ready', ({ url }) => resolve(url)));
  viaProxy.freeze(); // a stays up, the sockets stay open, nothing gets through
  assert.equal(await moved, b.wsUrl, 'the client moved to the other tracker on its own');
  assert.equal(sharer.trackerId, 'tb');
  assert.equal(sharer.userId, 'sharer', 'session resumed');
  assert.deepEqual((await sharer.request('list_groups', {})).groups.map((g) => [g.groupId, g.status]), [['g', 'member']]);
  await eventually(async () => {
    const { holders } = await owner.request('get_holders', { fileId });
    assert.ok(holders.some((h) => h.userId === 'sharer' && h.peerId === sharer.peerId), 'presence re-announced on b');
  });
  // Done: drop the frozen connections, so a's shutdown need not wait out their closing handshake.
  viaProxy.cut();
});

test('a client that falls silent is ended by the tracker, and its presence goes', async (t) => {
  const tracker = await startTestTracker(t, { heartbeatMs: 200 });
  const viaProxy = await startProxy(t, tracker.port);
  const owner = await userClient(t, tracker.wsUrl, 'owner');
  await owner.request('create_group', { groupId: 'g' });
  const { fileId, meta } = randomFile('g');
  await owner.request('upload_file', { fileId, meta });
  // The owner's second tab, through the proxy, seeds; the first watches.
  const seeder = await userClient(t, `ws://127.0.0.1:${viaProxy.port}/ws`, 'owner');
  await seeder.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  const gone: string[] = [];
  owner.on('event', (e) => e.event === 'holders_changed' && e.bitfield === null && gone.push(e.peerId));
  assert.equal((await owner.request('get_holders', { fileId })).holders.length, 1);

  // A ping is answered at once, before or after log-in.
  await owner.request('ping', {});

  const connectionsBefore = tracker.gateway.stats.connections;
  viaProxy.freeze();
  await eventually(() => assert.deepEqual(gone, [seeder.peerId], 'watchers hear the silent holder went'), 5000);
  assert.deepEqual((await owner.request('get_holders', { fileId })).holders, []);
  assert.equal(tracker.gateway.stats.connections, connectionsBefore - 1);
});

test('with the default timeouts, requests sent to a silent tracker are answered by another before they would time out', async (t) => {
  const secret = 'silent-secret';
  const a = await startTestTracker(t, { trackerId: 'ta', secret });
  const b = await startTestTracker(t, { trackerId: 'tb', secret, peers: [a.wsUrl.replace(/\/ws$/, '')] });
  const viaProxy = await startProxy(t, a.port);
  // Every timeout the client's default: the request timeout, the idle ping and its timeout.
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${viaProxy.port}/ws`, b.wsUrl], createSocket: wsFactory });
  t.after(() => client.close());
  await client.connect();
  await client.request('create_user', { userId: 'busy', password: 'password1' });
  const { token } = await client.login('busy', 'password1');
  await eventually(() => assert.ok(liveSession(b.core.state, hashToken(token)), 'the session replicated to b'));
  assert.equal(client.trackerId, 'ta');

  viaProxy.freeze();
  // An active client: requests go out into the silence. Each must be re-sent to b and answered there,
  // not fail with `timeout`: the client notices the silence well before its request timeout.
  const replies = await Promise.all([
    client.request('create_group', { groupId: 'g1' }),
    client.request('create_group', { groupId: 'g2' }),
    client.request('list_groups', {}),
  ]);
  assert.equal(client.trackerId, 'tb');
  assert.deepEqual(replies.slice(0, 2), [{ groupId: 'g1' }, { groupId: 'g2' }]);
  assert.ok(b.core.state.groups.has('g1') && b.core.state.groups.has('g2'));
  assert.ok(Array.isArray(replies[2].groups), 'the query was answered too');
  // Done: drop the frozen connections, so a's shutdown need not wait out their closing handshake.
  viaProxy.cut();
});
