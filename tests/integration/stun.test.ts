/**
 * The tracker's STUN responder (issue 10 item 1): a real STUN client (the
 * `stun` package's) over real UDP gets its mapped address; hello names the
 * responder first; `--stun-port 0` turns it off; a flood leaves honest
 * requests answered and the WebSocket side unharmed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import stun from 'stun';
import { startTestTracker, type Teardown } from '../helpers/tracker.ts';
import { WebSocket } from 'ws';
import { helloSocket, rawSocket } from '../helpers/raw.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

async function udpSocket(t: Teardown, address = '127.0.0.1'): Promise<Socket> {
  const socket = createSocket('udp4');
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  return socket;
}

/** A binding request with the package's client; retransmits as RFC 5389 says (500 ms, doubling). */
function bindingRequest(socket: Socket, port: number, retries = 4) {
  // The package parses `stun://host:port` (its URL parser refuses the RFC 7064 `stun:host:port` form).
  return stun.request(`stun://127.0.0.1:${port}`, { socket, timeout: 200, retries, maxTimeout: 1000 });
}

test('a STUN client gets a binding response with its XOR-MAPPED-ADDRESS from a tracker on port 0', async (t) => {
  const tracker = await startTestTracker(t);
  assert.ok(tracker.stunPort && tracker.stunPort > 0, 'with port 0, STUN binds a free UDP port and says which');
  const socket = await udpSocket(t);
  const response = await bindingRequest(socket, tracker.stunPort);
  assert.equal(response.type, stun.constants.STUN_BINDING_RESPONSE);
  assert.deepEqual(response.getXorAddress(), { family: 'IPv4', address: '127.0.0.1', port: socket.address().port });
});

test('hello lists the tracker\'s own stun: URL first, before --ice-server entries, never from the Host header', async (t) => {
  const tracker = await startTestTracker(t, { iceServers: [{ urls: 'stun:stun.example.org:3478' }] });
  const ws = new WebSocket(tracker.wsUrl, { headers: { host: 'evil.example:666' } });
  t.after(() => ws.terminate());
  await new Promise((resolve) => ws.once('open', resolve));
  const reply = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
  ws.send(JSON.stringify({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION }));
  assert.deepEqual((await reply).iceServers, [{ urls: `stun:127.0.0.1:${tracker.stunPort}` }, { urls: 'stun:stun.example.org:3478' }]);

  const named = await startTestTracker(t, { trackerId: 'test-b', publicUrls: ['wss://drop.example.org/ws'] });
  const n = await rawSocket(t, named.wsUrl);
  n.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.deepEqual((await n.next('h')).iceServers, [{ urls: `stun:drop.example.org:${named.stunPort}` }], 'a configured public URL names the host');
});

test('stunPort 0 turns STUN off: no responder, hello lists only configured ICE servers', async (t) => {
  const tracker = await startTestTracker(t, { stunPort: 0 });
  assert.equal(tracker.stunPort, undefined);
  const s = await rawSocket(t, tracker.wsUrl);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.deepEqual((await s.next('h')).iceServers, []);
});

test('a flood of junk and of over-the-cap requests leaves honest binding requests answered and /ws working', async (t) => {
  const tracker = await startTestTracker(t);
  const port = tracker.stunPort!;
  const junk = await udpSocket(t);
  // Another loopback address: a flooder sending well-formed requests, which its own per-source bucket stops.
  const greedy = await udpSocket(t, '127.0.0.2');
  const honest = await udpSocket(t);
  const ws = await helloSocket(t, tracker.wsUrl);
  const send = (socket: Socket, msg: Buffer) => new Promise<void>((resolve) => socket.send(msg, port, '127.0.0.1', () => resolve()));
  const valid = () => stun.createMessage(stun.constants.STUN_BINDING_REQUEST!).toBuffer();
  const truncated = valid().subarray(0, 19);
  const badLength = valid();
  badLength.writeUInt16BE(400, 2);
  const shapes = [() => randomBytes(1 + (Math.random() * 600) | 0), () => truncated, () => badLength, () => Buffer.alloc(0)];
  const flood = (async () => {
    for (let i = 0; i < 3000; i++) {
      await send(junk, shapes[i % shapes.length]!());
      await send(greedy, valid());
    }
  })();
  // During the flood: honest requests answered, WebSocket requests answered.
  const answers = await Promise.all([bindingRequest(honest, port, 6), bindingRequest(honest, port, 6), bindingRequest(honest, port, 6)]);
  for (const a of answers) assert.equal(a.getXorAddress()?.port, honest.address().port);
  ws.send({ id: 'p1', type: 'ping' });
  assert.equal((await ws.next('p1')).ok, true);
  await flood;
  const after = await bindingRequest(honest, port, 6);
  assert.equal(after.type, stun.constants.STUN_BINDING_RESPONSE);
  ws.send({ id: 'p2', type: 'ping' });
  assert.equal((await ws.next('p2')).ok, true, 'the tracker\'s WebSocket side is unharmed');
  const { stats } = tracker.stun!;
  assert.ok(stats.ignored > 0, 'junk was read and dropped');
  assert.ok(stats.limited > 0, 'the greedy source was capped');
  // The greedy source got at most its burst plus its rate over the flood's duration, not 3,000 answers.
  assert.ok(stats.answered < 1000, `answered ${stats.answered}`);
});

test('the default STUN port taken on UDP: the tracker serves without STUN; an explicit --stun-port taken: start-up fails, saying so', async (t) => {
  const holder = await udpSocket(t);
  const taken = holder.address().port;
  // Same number on TCP is (almost surely) free: the default STUN port follows --port.
  const tracker = await startTestTracker(t, { port: taken }).catch((err: Error) => {
    if (/EADDRINUSE/.test(err.message) && !/STUN/.test(err.message)) return undefined; // TCP taken by chance: nothing to test
    throw err;
  });
  if (tracker) {
    assert.equal(tracker.stunPort, undefined, 'served without STUN');
    const s = await rawSocket(t, tracker.wsUrl);
    s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
    assert.deepEqual((await s.next('h')).iceServers, []);
  }
  await assert.rejects(startTestTracker(t, { trackerId: 'test-b', stunPort: taken }), /STUN: cannot bind UDP 127\.0\.0\.1:\d+ .*--stun-port 0 turns it off/);
});
