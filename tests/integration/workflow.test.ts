/**
 * The seed's workflow as one story over real WebSockets against a real
 * tracker: register, log in, create a group, ask to join, accept, share,
 * list, find holders, signal, stop sharing, log out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { connectClient, eventually, recordEvents, startTestTracker } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

test('two people share a file through one tracker, start to finish', async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await connectClient(t, tracker.wsUrl);
  const bob = await connectClient(t, tracker.wsUrl);
  const aliceEvents = recordEvents(alice);
  const bobEvents = recordEvents(bob);

  // create_user, login
  await alice.request('create_user', { userId: 'alice', password: 'wonderland' });
  await bob.request('create_user', { userId: 'bob', password: 'builder!' });
  const session = await alice.login('alice', 'wonderland');
  assert.match(session.token, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit token, base64url');
  await bob.login('bob', 'builder!');

  // create_group, join_group, list_requests, accept_request
  await alice.request('create_group', { groupId: 'photos' });
  const joined = await bob.request('join_group', { groupId: 'photos' });
  assert.equal(joined.status, 'pending');
  await eventually(() => assert.deepEqual(aliceEvents.at(-1), { event: 'join_requested', groupId: 'photos', userId: 'bob' }));
  const { requests } = await alice.request('list_requests', { groupId: 'photos' });
  assert.deepEqual(requests.map((r) => r.userId), ['bob']);
  await alice.request('accept_request', { groupId: 'photos', userId: 'bob' });
  await eventually(() => assert.ok(bobEvents.some((e) => e.event === 'request_answered' && e.accepted && e.groupId === 'photos')));

  // list_groups: both see the group with their own status
  const aliceGroups = (await alice.request('list_groups', {})).groups;
  const bobGroups = (await bob.request('list_groups', {})).groups;
  assert.deepEqual(aliceGroups, [{ groupId: 'photos', owner: 'alice', members: 2, status: 'owner' }]);
  assert.deepEqual(bobGroups, [{ groupId: 'photos', owner: 'alice', members: 2, status: 'member' }]);
  const { members } = await bob.request('list_members', { groupId: 'photos' });
  assert.deepEqual(members.map((m) => [m.userId, m.role]), [['alice', 'owner'], ['bob', 'member']]);

  // upload_file: alice shares and announces she holds every piece
  const { fileId, meta } = randomFile('photos', 'beach.jpg');
  assert.deepEqual(await alice.request('upload_file', { fileId, meta }), { fileId });
  await alice.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  await eventually(() => assert.ok(bobEvents.some((e) => e.event === 'file_shared' && e.file.fileId === fileId)));

  // list_files: bob sees it with one holder online
  const { files } = await bob.request('list_files', { groupId: 'photos' });
  assert.equal(files.length, 1);
  assert.deepEqual(
    { name: files[0]!.name, size: files[0]!.size, sharedBy: files[0]!.sharedBy, holdersOnline: files[0]!.holdersOnline, pieceCount: files[0]!.pieceCount },
    { name: 'beach.jpg', size: meta.size, sharedBy: 'alice', holdersOnline: 1, pieceCount: meta.pieceHashes.length },
  );
  const full = await bob.request('get_file', { fileId });
  assert.deepEqual(full.file.meta, meta);

  // holders: bob finds alice and her bitfield
  const { holders } = await bob.request('get_holders', { fileId });
  assert.equal(holders.length, 1);
  assert.equal(holders[0]!.userId, 'alice');
  assert.equal(holders[0]!.peerId, alice.peerId);
  assert.ok(Bitfield.fromBase64(meta.pieceHashes.length, holders[0]!.bitfield).isComplete());

  // bob starts downloading: alice (a watcher too) hears about him
  await alice.request('get_holders', { fileId });
  await bob.announce(fileId, new Bitfield(meta.pieceHashes.length));
  await eventually(() =>
    assert.ok(aliceEvents.some((e) => e.event === 'holders_changed' && e.peerId === bob.peerId && e.bitfield !== null)),
  );

  // signals flow both ways
  await bob.request('signal', { fileId, to: alice.peerId!, data: { type: 'offer', sdp: 'v=0 bob' } });
  await eventually(() =>
    assert.deepEqual(aliceEvents.filter((e) => e.event === 'signal').at(-1), {
      event: 'signal', fileId, from: bob.peerId, fromUser: 'bob', data: { type: 'offer', sdp: 'v=0 bob' },
    }),
  );
  await alice.request('signal', { fileId, to: bob.peerId!, data: { type: 'answer', sdp: 'v=0 alice' } });
  await eventually(() => assert.ok(bobEvents.some((e) => e.event === 'signal' && e.from === alice.peerId && e.fromUser === 'alice')));

  // stop_share removes it for everyone
  await alice.request('stop_share', { fileId });
  await eventually(() => assert.ok(bobEvents.some((e) => e.event === 'file_stopped' && e.fileId === fileId)));
  assert.deepEqual((await bob.request('list_files', { groupId: 'photos' })).files, []);
  await assert.rejects(bob.request('get_holders', { fileId }), { code: ErrorCode.NoSuchFile });

  // logout ends the session: the token no longer resumes
  const token = alice.token!;
  await alice.logout();
  await assert.rejects(alice.request('list_groups', {}), { code: ErrorCode.Unauthenticated });
  const again = await connectClient(t, tracker.wsUrl);
  await assert.rejects(again.resume(token), { code: ErrorCode.InvalidSession });
});

test('a session resumes on a new connection with its token', async (t) => {
  const tracker = await startTestTracker(t);
  const first = await connectClient(t, tracker.wsUrl);
  await first.request('create_user', { userId: 'carol', password: 'secret12' });
  const { token } = await first.login('carol', 'secret12');
  await first.request('create_group', { groupId: 'band' });
  first.close();
  const second = await connectClient(t, tracker.wsUrl);
  assert.equal(await second.resume(token), 'carol');
  assert.equal((await second.request('list_groups', {})).groups[0]!.status, 'owner');
});
