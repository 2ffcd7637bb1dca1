/**
 * A tracker that sends garbage never crashes the client: every frame is
 * parsed (protocol/replies.ts, protocol/events.ts); a malformed one is
 * dropped with a `malformed` report naming the problem, a malformed reply
 * fails its request with `malformed_reply`, and the connection goes on.
 *
 * The tracker here is a fake over a real WebSocket server on port 0, since a
 * real tracker never sends these.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { TrackerClient } from '../../client/tracker.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { TrackerEvent } from '../../protocol/tracker.ts';
import { wsFactory, type Teardown } from '../helpers/tracker.ts';

type Frame = Record<string, unknown>;
/** Answers a request: a frame (or raw text) to send back, or undefined to send nothing. */
type Script = (request: Frame) => Frame | string | undefined;

const HELLO = { trackerId: 'fake', peerId: 'fakepeer01', trackers: [], iceServers: [] };

/** A fake tracker: a good hello unless the script says otherwise, then whatever the script answers. */
async function fakeTracker(t: Teardown, script: Script): Promise<{ url: string; socket: () => Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  let resolveSocket: (ws: WebSocket) => void;
  const first = new Promise<WebSocket>((resolve) => (resolveSocket = resolve));
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const request = JSON.parse(String(data)) as Frame;
      const answer = script(request) ?? (request.type === 'hello' ? { id: request.id, ok: true, ...HELLO } : undefined);
      if (answer !== undefined) ws.send(typeof answer === 'string' ? answer : JSON.stringify(answer));
      if (request.type === 'hello') resolveSocket(ws);
    });
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, socket: () => first };
}

function client(t: Teardown, url: string): TrackerClient {
  const c = new TrackerClient({ urls: [url], createSocket: wsFactory, requestTimeoutMs: 5_000, reconnectDelayMs: 10 });
  t.after(() => c.close());
  return c;
}

/** Resolves once `n` malformed reports have come. */
function reports(c: TrackerClient, n: number): { problems: string[]; all: Promise<void> } {
  const problems: string[] = [];
  let done: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  c.on('malformed', ({ problem }) => {
    problems.push(problem);
    if (problems.length === n) done();
  });
  return { problems, all };
}

test('malformed pushed frames are dropped with a report, and the client goes on', async (t) => {
  const fake = await fakeTracker(t, (r) => (r.type === 'list_groups' ? { id: r.id, ok: true, groups: [] } : undefined));
  const c = client(t, fake.url);
  const events: TrackerEvent[] = [];
  c.on('event', (e) => events.push(e));
  await c.connect();
  const ws = await fake.socket();

  const garbage = [
    '{"event": ',
    'null',
    '[1, 2]',
    '"a string"',
    JSON.stringify({ event: 'file_shared' }),
    JSON.stringify({ event: 'holders_changed', fileId: 'not a sha1', peerId: 'fakepeer02', userId: 'bob', bitfield: null }),
    JSON.stringify({ event: 'signal', fileId: 'a'.repeat(40), from: 7, fromUser: 'bob', data: {} }),
    JSON.stringify({ event: 'session_revoked' }),
    JSON.stringify({ event: 'no_such_event', groupId: 'g' }),
    JSON.stringify({ id: 5, ok: true }),
    JSON.stringify({ ok: 'yes' }),
  ];
  const seen = reports(c, garbage.length);
  for (const frame of garbage) ws.send(frame);
  // A good event after the garbage: it arrives, as it is.
  ws.send(JSON.stringify({ event: 'members_changed', groupId: 'g' }));
  await seen.all;
  assert.equal(seen.problems.length, garbage.length, 'one report per malformed frame');
  for (const p of seen.problems) assert.equal(typeof p, 'string');
  assert.match(seen.problems[5]!, /holders_changed.*fileId/, 'the report names the event and the field');

  // The connection works as before: a request gets its answer.
  assert.deepEqual(await c.request('list_groups', {}), { groups: [] });
  assert.deepEqual(events, [{ event: 'members_changed', groupId: 'g' }], 'no malformed event reached a listener');
  assert.equal(c.status, 'connected');
  assert.equal(c.userId, undefined, 'a malformed session_revoked changed nothing');
});

test('a malformed reply fails its request with malformed_reply; the next request still works', async (t) => {
  let listed = 0;
  const fake = await fakeTracker(t, (r) => {
    if (r.type === 'list_groups') {
      listed++;
      if (listed === 1) return { id: r.id, ok: true, groups: [{ groupId: 5 }] }; // wrong shape
      if (listed === 2) return { id: r.id, ok: false }; // an error without its error
      return { id: r.id, ok: true, groups: [{ groupId: 'g', owner: 'alice', members: 1, status: 'member' }], extra: 'ignored' };
    }
    return undefined;
  });
  const c = client(t, fake.url);
  const seen = reports(c, 2);
  await c.connect();

  const first = await c.request('list_groups', {}).then(() => undefined, (err: unknown) => err);
  assert.ok(first instanceof MeshdropError);
  assert.equal(first.code, ErrorCode.MalformedReply);
  const second = await c.request('list_groups', {}).then(() => undefined, (err: unknown) => err);
  assert.ok(second instanceof MeshdropError);
  assert.equal(second.code, ErrorCode.MalformedReply, 'failed at once, not at its timeout');
  await seen.all;
  assert.match(seen.problems[0]!, /list_groups.*groups/);

  // A well-formed reply is passed on, with the fields its schema names.
  assert.deepEqual(await c.request('list_groups', {}), { groups: [{ groupId: 'g', owner: 'alice', members: 1, status: 'member' }] });
  assert.equal(c.status, 'connected');
});

test('a tracker whose hello reply is malformed is not used', async (t) => {
  const fake = await fakeTracker(t, (r) => (r.type === 'hello' ? { id: r.id, ok: true, trackerId: 'fake', trackers: [], iceServers: [] } : undefined));
  const c = client(t, fake.url);
  const seen = reports(c, 1);
  await assert.rejects(c.connect(), (err: unknown) => err instanceof MeshdropError && err.code === ErrorCode.Disconnected);
  await seen.all;
  assert.match(seen.problems[0]!, /hello.*peerId/);
  assert.equal(c.peerId, undefined);
});
