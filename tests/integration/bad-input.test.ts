/**
 * Bad input gets a clear error code and the connection goes on working; only
 * abuse (oversize frame, flood, no hello in time) closes it, with a named
 * code, and the tracker keeps serving everyone else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, ErrorCode } from '../../protocol/errors.ts';
import { MAX_FRAME_BYTES, LOGIN_FAILURES_PER_ACCOUNT, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { helloSocket, rawSocket } from '../helpers/raw.ts';
import { connectClient, startTestTracker, userClient } from '../helpers/tracker.ts';

const errorCode = (reply: Record<string, unknown>) => (reply.error as { code: string } | undefined)?.code;

test('malformed messages get error replies and the connection lives on', async (t) => {
  const tracker = await startTestTracker(t);
  const s = await helloSocket(t, tracker.wsUrl);
  const digest = stateDigest(tracker.core.state);

  const cases: [string, string | Record<string, unknown>, string | null, ErrorCode][] = [
    ['not JSON', '{"id": "1", "type": ', null, ErrorCode.BadJson],
    ['JSON but not an object', '[1,2,3]', null, ErrorCode.BadJson],
    ['unknown type', { id: 'u', type: 'format_disk' }, 'u', ErrorCode.UnknownType],
    ['missing type', { id: 'm' }, 'm', ErrorCode.UnknownType],
    ['wrong field type', { id: 'w', type: 'create_user', userId: 42, password: 'secret' }, 'w', ErrorCode.InvalidMessage],
    ['missing field', { id: 'f', type: 'create_user', userId: 'zed' }, 'f', ErrorCode.InvalidMessage],
    ['extra field', { id: 'x', type: 'list_groups', admin: true }, 'x', ErrorCode.InvalidMessage],
    ['huge string', { id: 'h', type: 'create_user', userId: 'a'.repeat(100_000), password: 'secret' }, 'h', ErrorCode.InvalidMessage],
    ['bad user name', { id: 'n', type: 'create_user', userId: 'no spaces', password: 'secret' }, 'n', ErrorCode.InvalidMessage],
    ['not a sha1', { id: 's', type: 'get_file', fileId: 'xyz' }, 's', ErrorCode.InvalidMessage],
    ['hello twice', { id: 'h2', type: 'hello', protocol: PROTOCOL_VERSION }, 'h2', ErrorCode.HelloFirst],
    ['id too long', { id: 'i'.repeat(65), type: 'list_groups' }, null, ErrorCode.InvalidMessage],
  ];
  for (const [what, frame, id, code] of cases) {
    s.send(frame);
    const reply = await s.next(id);
    assert.equal(reply.ok, false, what);
    assert.equal(errorCode(reply), code, what);
    assert.equal(typeof (reply.error as { message: string }).message, 'string');
  }
  assert.equal(stateDigest(tracker.core.state), digest, 'nothing changed');

  // Still works after all that.
  s.send({ id: 'ok', type: 'create_user', userId: 'zed', password: 'secret' });
  assert.equal((await s.next('ok')).ok, true);
});

test('requests before hello, and a wrong protocol version, are refused', async (t) => {
  const tracker = await startTestTracker(t);
  const s = await rawSocket(t, tracker.wsUrl);
  s.send({ id: '1', type: 'list_groups' });
  assert.equal(errorCode(await s.next('1')), ErrorCode.HelloFirst);
  s.send({ id: '2', type: 'hello', protocol: 99 });
  assert.equal(errorCode(await s.next('2')), ErrorCode.VersionMismatch);
  s.send({ id: '3', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('3')).ok, true);
});

test('domain errors: duplicate user, wrong password, unknown group, unknown file', async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await userClient(t, tracker.wsUrl, 'alice', 'correct-horse');
  const other = await connectClient(t, tracker.wsUrl);
  await assert.rejects(other.request('create_user', { userId: 'alice', password: 'another1' }), { code: ErrorCode.UserExists });
  await assert.rejects(other.login('alice', 'wrong-horse'), { code: ErrorCode.BadCredentials });
  await assert.rejects(other.login('nobody', 'whatever'), { code: ErrorCode.BadCredentials }, 'never says which part was wrong');
  await assert.rejects(alice.request('join_group', { groupId: 'nowhere' }), { code: ErrorCode.NoSuchGroup });
  await assert.rejects(alice.request('get_file', { fileId: 'a'.repeat(40) }), { code: ErrorCode.NoSuchFile });
  await alice.request('create_group', { groupId: 'g1' });
  await assert.rejects(alice.request('create_group', { groupId: 'g1' }), { code: ErrorCode.GroupExists });
  // The connection that failed to log in still works.
  await other.login('alice', 'correct-horse');
  assert.equal((await other.request('list_groups', {})).groups.length, 1);
});

test('failed log-ins are rate limited per account', async (t) => {
  const tracker = await startTestTracker(t);
  await userClient(t, tracker.wsUrl, 'victim', 'right-password');
  const attacker = await connectClient(t, tracker.wsUrl);
  for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++) {
    await assert.rejects(attacker.login('victim', `guess-${i}`), { code: ErrorCode.BadCredentials });
  }
  await assert.rejects(attacker.login('victim', 'right-password'), { code: ErrorCode.RateLimited }, 'even the right password waits');
  // Another account from elsewhere is unaffected by victim's lock.
  const bystander = await connectClient(t, tracker.wsUrl);
  await bystander.request('create_user', { userId: 'other', password: 'pass-word' });
  await bystander.login('other', 'pass-word');
});

test('an oversize frame closes that connection with 1009; others are unharmed', async (t) => {
  const tracker = await startTestTracker(t);
  const bystander = await userClient(t, tracker.wsUrl, 'bystander');
  const s = await helloSocket(t, tracker.wsUrl);
  s.send('"' + 'x'.repeat(MAX_FRAME_BYTES + 10) + '"');
  const { code } = await s.closed;
  assert.equal(code, CloseCode.MessageTooBig);
  assert.equal((await bystander.request('list_groups', {})).groups.length, 0);
});

test('a flood closes that connection with the flood code; others are unharmed', async (t) => {
  const tracker = await startTestTracker(t);
  const bystander = await userClient(t, tracker.wsUrl, 'bystander');
  const s = await helloSocket(t, tracker.wsUrl);
  for (let i = 0; i < 2000; i++) s.send({ id: `f${i}`, type: 'list_groups' });
  const { code } = await s.closed;
  assert.equal(code, CloseCode.Flood);
  assert.equal(tracker.gateway.stats.closedForAbuse, 1);
  await bystander.request('create_group', { groupId: 'still-here' });
  assert.equal((await bystander.request('list_groups', {})).groups.length, 1);
});

test('a connection that never says hello is closed with the hello-timeout code', async (t) => {
  const tracker = await startTestTracker(t, { helloTimeoutMs: 300 });
  const s = await rawSocket(t, tracker.wsUrl);
  const { code } = await s.closed;
  assert.equal(code, CloseCode.HelloTimeout);
  const healthy = await connectClient(t, tracker.wsUrl);
  assert.ok(healthy.peerId, 'a client that says hello is served');
});
