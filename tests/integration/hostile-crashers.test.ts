/**
 * Issue 8, items 1 and 2: single frames that used to stop a tracker process.
 * Run against a real tracker process (its own last line of defence is part of
 * what is tested): every frame gets its error reply, the connection lives,
 * and the process still serves a normal client afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors.ts';
import { deepArray, deepSignal, rawMesh } from '../helpers/hostile.ts';
import { helloSocket, rawSocket } from '../helpers/raw.ts';
import { connectClient, eventually, spawnTracker, startTestTracker, tempDir, userClient } from '../helpers/tracker.ts';
import { requests } from '../../tracker-server/requests.ts';
import type { Handler } from '../../tracker-server/handlers/context.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

const code = (reply: Record<string, unknown>) => (reply.error as { code: string } | undefined)?.code;

test('an object type with a non-callable toString, bare or in an array, gets unknown_type and the process lives', async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crash-1']);
  const s = await rawSocket(t, tracker.wsUrl);
  s.send('{"id":"a","type":{"toString":1}}');
  assert.equal(code(await s.next('a')), ErrorCode.UnknownType);
  s.send('{"id":"b","type":[{"toString":1}]}');
  assert.equal(code(await s.next('b')), ErrorCode.UnknownType);
  s.send('{"id":"c","type":{"toString":{},"valueOf":1}}');
  assert.equal(code(await s.next('c')), ErrorCode.UnknownType);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h')).ok, true, 'the same connection goes on');
  assert.equal((await fetch(`${tracker.httpUrl}/healthz`)).status, 200, 'the process lives');
  assert.equal(tracker.process.exitCode, null);
});

test('a signal with data nested 5,000 deep gets invalid_message, before hello and logged in, and the process lives', async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crash-2']);
  const before = await rawSocket(t, tracker.wsUrl);
  before.send(deepSignal('d1', 5000));
  assert.equal(code(await before.next('d1')), ErrorCode.InvalidMessage);
  const alice = await userClient(t, tracker.wsUrl, 'alice');
  const s = await helloSocket(t, tracker.wsUrl);
  s.send(deepSignal('d2', 5000));
  assert.equal(code(await s.next('d2')), ErrorCode.InvalidMessage);
  s.send(deepSignal('d3', 33));
  assert.equal(code(await s.next('d3')), ErrorCode.InvalidMessage, 'just past the depth limit');
  await alice.request('create_group', { groupId: 'still-here' });
  assert.equal(tracker.process.exitCode, null);
});

test('on /mesh, before the handshake, a deep frame closes that socket only and the process lives', async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crash-3', '--secret', 's3cret']);
  const m = await rawMesh(t, tracker.port);
  await eventually(() => assert.equal(m.messages.length, 1, 'the challenge'));
  m.send(`{"type":"signal","to":"peer-abcdefgh","event":{"event":"signal","fileId":"${'a'.repeat(40)}","from":"peer-abcdefgh","fromUser":"x","data":${deepArray(5000)}}}`);
  await m.closed;
  const client = await connectClient(t, tracker.wsUrl);
  assert.ok(client.peerId, 'a normal client is served');
  assert.equal(tracker.process.exitCode, null);
});

test('a handler that throws answers internal, and the connection lives', async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await userClient(t, tracker.wsUrl, 'alice');
  // The request table's entry: its handler is what the pipeline runs.
  const entry = requests.list_groups as { handler: Handler<'list_groups'> };
  const original = entry.handler;
  entry.handler = () => {
    throw new TypeError('a bug in a handler');
  };
  t.after(() => void (entry.handler = original));
  await assert.rejects(alice.request('list_groups', {}), { code: ErrorCode.Internal });
  entry.handler = (async () => {
    throw new TypeError('an async bug in a handler');
  }) as unknown as typeof original;
  await assert.rejects(alice.request('list_groups', {}), { code: ErrorCode.Internal });
  entry.handler = original;
  await alice.request('create_group', { groupId: 'after' });
  assert.equal((await alice.request('list_groups', {})).groups.length, 1, 'the same connection still works');
});

test('the last line of defence: an uncaught exception and an unhandled rejection are logged, and the process serves on', async (t) => {
  const dataDir = await tempDir(t);
  const inject = new URL('../helpers/inject-faults.mjs', import.meta.url).pathname;
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crash-4'], {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${inject}`.trim(),
  });
  await eventually(() => {
    assert.match(tracker.output(), /uncaughtException.*stays up[\s\S]*injected uncaught exception/);
    assert.match(tracker.output(), /unhandledRejection.*stays up[\s\S]*injected unhandled rejection/);
  }, 10_000);
  assert.equal(tracker.process.exitCode, null);
  assert.equal((await fetch(`${tracker.httpUrl}/healthz`)).status, 200);
  const alice = await userClient(t, tracker.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'after-faults' });
});
