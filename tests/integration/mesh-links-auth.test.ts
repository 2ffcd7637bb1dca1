/**
 * The shared secret guards the built-in mesh: a tracker (or anything) that
 * cannot prove it knows the secret gets nothing and learns nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/errors.ts';
import { eventually, startTestTracker, userClient } from '../helpers/tracker.ts';

test('a wrong proof gets a nonce and a close, nothing else', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'the-real-secret' });
  await userClient(t, a.wsUrl, 'alice');
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}/mesh`);
  t.after(() => ws.terminate());
  const received: string[] = [];
  ws.on('message', (d) => received.push(String(d)));
  await new Promise((resolve) => ws.once('open', resolve));
  await eventually(() => assert.equal(received.length, 1, 'the challenge'));
  const challenge = JSON.parse(received[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(challenge).sort(), ['nonce', 'type', 'version'], 'the challenge names nothing');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send(JSON.stringify({ type: 'auth', trackerId: 'intruder', nonce: 'ab'.repeat(32), proof: 'cd'.repeat(32) }));
  assert.equal(await closed, CloseCode.MeshAuthFailed);
  assert.equal(received.length, 1, 'no state, no ops, no presence');
  // Asking for ops without proving anything first is refused the same way.
  const ws2 = new WebSocket(`ws://127.0.0.1:${a.port}/mesh`);
  t.after(() => ws2.terminate());
  const got2: string[] = [];
  ws2.on('message', (d) => got2.push(String(d)));
  await new Promise((resolve) => ws2.once('open', resolve));
  const closed2 = new Promise<number>((resolve) => ws2.once('close', (code) => resolve(code)));
  ws2.send(JSON.stringify({ type: 'sync', vv: {}, urls: [] }));
  assert.equal(await closed2, CloseCode.MeshAuthFailed);
  assert.equal(got2.length, 1);
});

test('trackers with different secrets do not replicate; with the same one they do', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'the-real-secret' });
  const wrong = await startTestTracker(t, { trackerId: 'tx', secret: 'a-guess', peers: [`ws://127.0.0.1:${a.port}`] });
  const right = await startTestTracker(t, { trackerId: 'tb', secret: 'the-real-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  await userClient(t, a.wsUrl, 'alice');
  await userClient(t, wrong.wsUrl, 'xavier');
  await eventually(() => assert.ok(right.core.state.users.has('alice'), 'the right secret replicates'));
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!wrong.core.state.users.has('alice'), 'the wrong secret learned an op');
  assert.ok(!a.core.state.users.has('xavier'), 'the wrong secret got an op in');
  assert.deepEqual(Object.keys(wrong.core.replica.versionVector()), ['tx']);
  assert.equal(wrong.mesh!.bus.stats.trackers, 0);
});
