/**
 * Protocol 2's signal form: several signals in one `signals` frame, each
 * authorised on its own, answered only when one is refused (the refusal
 * under that signal's id, so the sender still learns of it); the client
 * batches its signals into such frames; a client of another version is told
 * plainly which side is older, and the client shows that instead of "no
 * tracker answered". Protocol 3's: each signal's data after the frame's
 * line, relayed as sent, and data that is not JSON reaching its receiver as
 * that signal's problem alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { Bitfield } from '../../protocol/bitfield.ts';
import { MAX_SIGNALS_PER_FRAME, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { CloseCode, ErrorCode } from '../../protocol/errors.ts';
import type { TrackerEvent } from '../../protocol/tracker.ts';
import { TrackerClient } from '../../client/tracker.ts';
import { eventually, recordEvents, startTestTracker, userClient, wsFactory } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';
import { rawSocket, readFrame } from '../helpers/raw.ts';
import { encodeSignalsFrame } from '../../protocol/signals-frame.ts';

/** A `signals` frame of these signals, each `data` written as JSON. */
const signalsFrame = (id: string, signals: { id: string; fileId: string; to: string; data: unknown }[]) =>
  encodeSignalsFrame(id, signals.map((s) => ({ ...s, data: JSON.stringify(s.data) })));

type T = Parameters<typeof startTestTracker>[0];

/** Group `g` of olga (owner), mia and sam; nina outside it; olga shares a file and all of them are online. */
async function world(t: T) {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const olga = await userClient(t, url, 'olga');
  const mia = await userClient(t, url, 'mia');
  const sam = await userClient(t, url, 'sam');
  const nina = await userClient(t, url, 'nina');
  await olga.request('create_group', { groupId: 'g' });
  for (const [c, id] of [[mia, 'mia'], [sam, 'sam']] as const) {
    await c.request('join_group', { groupId: 'g' });
    await olga.request('accept_request', { groupId: 'g', userId: id });
  }
  const { fileId, meta } = randomFile('g');
  await olga.request('upload_file', { fileId, meta });
  await olga.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  return { tracker, url, olga, mia, sam, nina, fileId };
}

const signalsFrom = (events: TrackerEvent[]) => events.filter((e): e is Extract<TrackerEvent, { event: 'signal' }> => e.event === 'signal');

test('a frame of signals: each authorised, a non-member refused to its sender under its own id, the others delivered and not answered', async (t) => {
  const w = await world(t);
  const heard = { olga: recordEvents(w.olga), sam: recordEvents(w.sam), nina: recordEvents(w.nina) };
  // mia's raw connection, signed in as mia (a second tab), to see every frame the tracker writes back.
  const s = await rawSocket(t, w.url);
  const frames: Record<string, unknown>[] = [];
  s.ws.on('message', (data) => frames.push(readFrame(String(data))));
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h')).ok, true);
  s.send({ id: 'l', type: 'login', userId: 'mia', password: 'password1' });
  assert.equal((await s.next('l')).ok, true);
  s.send(signalsFrame('frame', [
    { id: 'to-olga', fileId: w.fileId, to: w.olga.peerId!, data: { n: 1 } },
    { id: 'to-nina', fileId: w.fileId, to: w.nina.peerId!, data: { n: 2 } },
    { id: 'to-sam', fileId: w.fileId, to: w.sam.peerId!, data: { n: 3 } },
    { id: 'to-nobody', fileId: w.fileId, to: 'AAAAAAAAAAAAAAAA', data: { n: 4 } },
  ]));
  s.send({ id: 'after', type: 'ping' });
  assert.equal((await s.next('after')).ok, true);
  const replies = frames.filter((f) => 'id' in f && f.id !== 'h' && f.id !== 'l' && f.id !== 'after');
  assert.deepEqual(
    replies.map((r) => [r.id, r.ok, (r.error as { code: string }).code]),
    [['to-nina', false, ErrorCode.Forbidden], ['to-nobody', false, ErrorCode.PeerOffline]],
    'only the refused signals are answered, each under its own id; the relayed ones and the frame are not',
  );
  await eventually(() => {
    assert.deepEqual(signalsFrom(heard.olga).map((e) => e.data), [{ n: 1 }]);
    assert.deepEqual(signalsFrom(heard.sam).map((e) => e.data), [{ n: 3 }]);
  });
  assert.equal(signalsFrom(heard.olga)[0]!.fromUser, 'mia');
  assert.deepEqual(signalsFrom(heard.nina), [], 'the non-member got nothing');
});

test('data that is not JSON is relayed as sent and dropped by its receiver as that signal\'s problem; the next signal still arrives', async (t) => {
  const w = await world(t);
  const heard = recordEvents(w.olga);
  const malformed: string[] = [];
  w.olga.on('malformed', ({ problem }) => malformed.push(problem));
  const s = await rawSocket(t, w.url);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h')).ok, true);
  s.send({ id: 'l', type: 'login', userId: 'mia', password: 'password1' });
  assert.equal((await s.next('l')).ok, true);
  // The tracker slices data by length and never parses it: a member's broken data goes to the member it names.
  s.send(encodeSignalsFrame('bad', [
    { id: 'broken', fileId: w.fileId, to: w.olga.peerId!, data: '{"type":"offer"' },
    { id: 'spoof', fileId: w.fileId, to: w.olga.peerId!, data: '1}\n{"event":"signal","from":"peer-mallory0"' },
    { id: 'good', fileId: w.fileId, to: w.olga.peerId!, data: '{"n":5}' },
  ]));
  s.send({ id: 'after', type: 'ping' });
  assert.equal((await s.next('after')).ok, true, 'no refusal came first: the tracker relayed all three');
  await eventually(() => assert.deepEqual(signalsFrom(heard).map((e) => e.data), [{ n: 5 }]));
  assert.deepEqual(malformed, ['a relayed signal whose data is not JSON', 'a relayed signal whose data is not JSON']);
  assert.equal(signalsFrom(heard)[0]!.fromUser, 'mia');
  assert.equal(w.olga.status, 'connected', 'the receiver\'s connection lives on');
});

test('a non-member\'s frame of signals is refused signal by signal and reaches nobody', async (t) => {
  const w = await world(t);
  const heard = recordEvents(w.olga);
  const results = await Promise.all([
    w.nina.signal(w.fileId, w.olga.peerId!, { n: 1 }).then(() => 'ok', (e: { code: string }) => e.code),
    w.nina.signal(w.fileId, w.mia.peerId!, { n: 2 }).then(() => 'ok', (e: { code: string }) => e.code),
  ]);
  assert.deepEqual(results, [ErrorCode.NoSuchFile, ErrorCode.NoSuchFile]);
  await w.olga.request('ping', {});
  assert.deepEqual(signalsFrom(heard), []);
});

test('the client sends the signals of one task in one frame; the relayed ones settle, a failing one still tells the sender', async (t) => {
  const w = await world(t);
  const heard = { olga: recordEvents(w.olga), sam: recordEvents(w.sam) };
  const framesBefore = w.tracker.gateway.stats.requests;
  const relayedBefore = w.tracker.gateway.stats.signalsRelayed;
  const outcomes = Promise.all([
    w.mia.signal(w.fileId, w.olga.peerId!, { to: 'olga' }),
    w.mia.signal(w.fileId, w.nina.peerId!, { to: 'nina' }).then(() => 'ok', (e: { code: string }) => e.code),
    w.mia.signal(w.fileId, w.sam.peerId!, { to: 'sam' }),
  ]);
  // Any later request's reply settles the signals sent before it (the tracker handles a connection's frames in order).
  await new Promise((r) => setTimeout(r, 0));
  await w.mia.request('ping', {});
  const [toOlga, toNina, toSam] = await outcomes;
  assert.equal(toOlga, undefined);
  assert.equal(toNina, ErrorCode.Forbidden, 'the refused signal rejects with the tracker\'s reason');
  assert.equal(toSam, undefined);
  assert.equal(w.tracker.gateway.stats.requests - framesBefore, 2, 'one signals frame, one ping');
  assert.equal(w.tracker.gateway.stats.signalsRelayed - relayedBefore, 2);
  await eventually(() => {
    assert.deepEqual(signalsFrom(heard.olga).map((e) => e.data), [{ to: 'olga' }]);
    assert.deepEqual(signalsFrom(heard.sam).map((e) => e.data), [{ to: 'sam' }]);
  });
  // An offline peer: the sender is told, as with protocol 1's `signal`.
  const samPeer = w.sam.peerId!;
  w.sam.close();
  await eventually(() => assert.equal(w.tracker.core.presence.peer(samPeer), undefined));
  const refused = assert.rejects(w.mia.signal(w.fileId, samPeer, {}), { code: ErrorCode.PeerOffline });
  // Sent with the next task's frame; a later request's reply comes after any refusal of it.
  await new Promise((r) => setTimeout(r, 0));
  await w.mia.request('ping', {});
  await refused;
});

test('every signal of a frame counts against the connection\'s rate limit', async (t) => {
  const w = await world(t);
  const s = await rawSocket(t, w.url);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h')).ok, true);
  const frame = (n: number) =>
    signalsFrame(`f${n}`, Array.from({ length: MAX_SIGNALS_PER_FRAME }, (_, i) => ({ id: `s${n}-${i}`, fileId: w.fileId, to: 'AAAAAAAAAAAAAAAA', data: {} })));
  // 20 frames of 32 signals is 640 messages' worth: past the burst of 400, though only 20 frames.
  for (let n = 0; n < 20; n++) s.send(frame(n));
  assert.equal((await s.closed).code, CloseCode.Flood);
});

test('a frame of too many signals is refused as a whole, under the frame\'s id, and relays none', async (t) => {
  const w = await world(t);
  const heard = recordEvents(w.olga);
  const s = await rawSocket(t, w.url);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h')).ok, true);
  s.send({ id: 'l', type: 'login', userId: 'mia', password: 'password1' });
  assert.equal((await s.next('l')).ok, true);
  const signals = Array.from({ length: MAX_SIGNALS_PER_FRAME + 1 }, (_, i) => ({ id: `s${i}`, fileId: w.fileId, to: w.olga.peerId!, data: {} }));
  s.send(signalsFrame('big', signals));
  const reply = await s.next('big');
  assert.equal((reply.error as { code: string }).code, ErrorCode.InvalidMessage);
  await w.olga.request('ping', {});
  assert.deepEqual(signalsFrom(heard), []);
});

test('a client of an older protocol is told plainly, naming both versions and what to do', async (t) => {
  const tracker = await startTestTracker(t);
  const s = await rawSocket(t, tracker.wsUrl);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION - 1 });
  const reply = await s.next('h');
  assert.equal(reply.ok, false);
  const error = reply.error as { code: string; message: string };
  assert.equal(error.code, ErrorCode.VersionMismatch);
  assert.match(error.message, new RegExp(`protocol ${PROTOCOL_VERSION}, not ${PROTOCOL_VERSION - 1}`));
  assert.match(error.message, /older than the tracker: reload the page, or update meshdrop/);
  // The connection lives on: a right hello still works.
  s.send({ id: 'h2', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.equal((await s.next('h2')).ok, true);
});

test('the client shows a tracker\'s version refusal instead of retrying into "no tracker answered"', async (t) => {
  // A tracker of another version, as an old tracker answers a new client: a real WebSocket server on port 0.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => new Promise((r) => wss.close(r)));
  await new Promise((r) => wss.once('listening', r));
  let hellos = 0;
  const message = `this tracker speaks protocol ${PROTOCOL_VERSION - 1}, not ${PROTOCOL_VERSION}; the tracker is older than this page or program: its operator has to update it`;
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'hello') hellos++;
      ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: ErrorCode.VersionMismatch, message } }));
    }),
  );
  const port = (wss.address() as { port: number }).port;
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${port}/ws`], createSocket: wsFactory, reconnectDelayMs: 10 });
  t.after(() => client.close());
  await assert.rejects(client.connect({ keepTrying: true }), { code: ErrorCode.VersionMismatch, message });
  assert.equal(hellos, 1, 'asked once: another version does not change by retrying');
  assert.equal(client.status, 'idle');
});

test('signals queued while disconnected go out once connected', async (t) => {
  const w = await world(t);
  const heard = recordEvents(w.olga);
  const late = new TrackerClient({ urls: [w.url], createSocket: wsFactory, requestTimeoutMs: 10_000 });
  t.after(() => late.close());
  const connecting = late.connect();
  const sent = late.signal(w.fileId, w.olga.peerId!, { early: true }).then(() => 'ok', (e: { code: string }) => e.code);
  await connecting;
  // Not signed in: refused, and told.
  assert.equal(await sent, ErrorCode.Unauthenticated);
  assert.deepEqual(signalsFrom(heard), []);
});
