/**
 * Issue 8, items 15 and 16 (HTTP side): bounded request and header times,
 * only the methods a path serves, security headers on every response, an
 * optional allowed-origins list for /ws, and a hello that never echoes the
 * client's Host header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../tracker-server/security-headers.ts';
import { helloSocket, rawSocket } from '../helpers/raw.ts';
import { eventually, startTestTracker, type Teardown } from '../helpers/tracker.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';

/** A raw TCP socket to the tracker, and everything it receives until it closes. */
async function tcp(t: Teardown, port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  let data = '';
  socket.on('data', (d) => (data += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => data, closed };
}

test('every response carries the security headers', async (t) => {
  const tracker = await startTestTracker(t);
  for (const [path, method] of [['/', 'GET'], ['/g/photos', 'GET'], ['/healthz', 'GET'], ['/metrics', 'HEAD'], ['/assets/nope-1.js', 'GET'], ['/healthz', 'POST']] as const) {
    const res = await fetch(`${tracker.httpUrl}${path}`, { method });
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, `${method} ${path}`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${method} ${path}`);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', `${method} ${path}`);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${method} ${path}`);
    await res.arrayBuffer();
  }
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
});

test('only GET and HEAD are served: anything else is 405 with Allow', async (t) => {
  const tracker = await startTestTracker(t);
  for (const [path, method] of [['/healthz', 'POST'], ['/metrics', 'DELETE'], ['/', 'PUT'], ['/g/x', 'PATCH']] as const) {
    const res = await fetch(`${tracker.httpUrl}${path}`, { method, body: method === 'DELETE' ? undefined : 'x' });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await res.arrayBuffer();
  }
  const head = await fetch(`${tracker.httpUrl}/healthz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a POST whose body never comes is not held forever', async (t) => {
  const tracker = await startTestTracker(t, { httpRequestTimeoutMs: 500, httpHeadersTimeoutMs: 300 });
  const slow = await tcp(t, tracker.port);
  slow.socket.write('POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc');
  await slow.closed; // the test times out if it is held
  assert.match(slow.received(), /^HTTP\/1\.1 405/);
  const headers = await tcp(t, tracker.port);
  headers.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // headers never finish
  await headers.closed;
  assert.equal((await fetch(`${tracker.httpUrl}/healthz`)).status, 200);
});

test('an idle WebSocket outlives the HTTP request timeout', async (t) => {
  const tracker = await startTestTracker(t, { httpRequestTimeoutMs: 300, httpHeadersTimeoutMs: 200 });
  const s = await helloSocket(t, tracker.wsUrl);
  // Sit idle well past the request timeout and several of Node's checking intervals.
  const slow = await tcp(t, tracker.port);
  slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  await slow.closed; // a plain request that slow was cut meanwhile
  await new Promise((r) => setTimeout(r, 600));
  s.send({ id: 'p', type: 'ping' });
  assert.equal((await s.next('p')).ok, true, 'the upgraded socket was not cut');
});

test('the hello reply never echoes the Host header', async (t) => {
  const tracker = await startTestTracker(t);
  const ws = new WebSocket(tracker.wsUrl, { headers: { host: 'evil.example:666' } });
  t.after(() => ws.terminate());
  await new Promise((resolve) => ws.once('open', resolve));
  const reply = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
  ws.send(JSON.stringify({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION }));
  const trackers = (await reply).trackers as string[];
  assert.deepEqual(trackers, [], 'bound to loopback (behind a proxy) and with no public URL, it names none: the client keeps the URL it used');
  const named = await startTestTracker(t, { trackerId: 'test-b', publicUrls: ['wss://drop.example.org/ws'] });
  const s = await rawSocket(t, named.wsUrl);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  assert.deepEqual((await s.next('h')).trackers, ['wss://drop.example.org/ws'], 'configured public URLs only');
});

/** The HTTP status of a WebSocket upgrade to `url` with this Origin (101: opened). */
function upgradeStatus(t: Teardown, url: string, origin: string | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    t.after(() => ws.terminate());
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

test('with allowed origins, /ws refuses other origins; without, any is served', async (t) => {
  const tracker = await startTestTracker(t, { allowedOrigins: ['https://drop.example.org'] });
  const open = (origin: string | undefined) => upgradeStatus(t, tracker.wsUrl, origin);
  assert.equal(await open('https://drop.example.org'), 101);
  assert.equal(await open('https://evil.example'), 403);
  assert.equal(await open('null'), 403, 'an opaque origin (a sandboxed page, a file) is not an allowed one');
  assert.equal(await open(undefined), 101, 'a non-browser client sends no origin, and could send any: not refused');
  const open2 = await startTestTracker(t, { trackerId: 'test-c' });
  const s = await rawSocket(t, open2.wsUrl);
  await eventually(() => assert.equal(s.ws.readyState, WebSocket.OPEN));
});

test('with allowed origins, the pages of every tracker of the mesh are let in too: its own and those it learned', async (t) => {
  const secret = 'origins-secret';
  const a = await startTestTracker(t, { trackerId: 'test-a', secret, publicUrls: ['wss://a.example.org/ws'] });
  const b = await startTestTracker(t, {
    trackerId: 'test-b',
    secret,
    allowedOrigins: ['https://proxy.example.org'],
    publicUrls: ['wss://b.example.org:8443/ws'],
    peers: [a.httpUrl],
  });
  assert.equal(await upgradeStatus(t, b.wsUrl, 'https://proxy.example.org'), 101, 'a listed origin');
  assert.equal(await upgradeStatus(t, b.wsUrl, 'https://b.example.org:8443'), 101, "its own --public-url's page");
  assert.equal(await upgradeStatus(t, b.wsUrl, 'http://b.example.org:8443'), 403, 'the same host over plain http is another origin');
  // Linked, B learns A's public URL: A's pages fail over to B without being listed on it.
  await eventually(async () => assert.equal(await upgradeStatus(t, b.wsUrl, 'https://a.example.org'), 101), 20_000, 100);
  assert.equal(await upgradeStatus(t, b.wsUrl, 'https://evil.example'), 403, 'any other origin is still refused');
  assert.equal(await upgradeStatus(t, b.wsUrl, 'https://a.example.org.evil.example'), 403);
});

test('sockets of any kind are bounded: past --max-connections plus headroom, new ones are dropped, held ones work', async (t) => {
  const { HTTP_SOCKET_HEADROOM } = await import('../../tracker-server/server.ts');
  const tracker = await startTestTracker(t, { maxConnections: 1 });
  assert.equal(tracker.server.maxConnections, 1 + HTTP_SOCKET_HEADROOM);
  tracker.server.maxConnections = 3; // the same bound, small enough to reach in a test
  const s = await helloSocket(t, tracker.wsUrl);
  const idle = [await tcp(t, tracker.port), await tcp(t, tracker.port)];
  const dropped = await tcp(t, tracker.port);
  await dropped.closed; // the test times out if it is held
  s.send({ id: 'p', type: 'ping' });
  assert.equal((await s.next('p')).ok, true, 'what is held keeps working');
  idle[0]!.socket.destroy();
  await eventually(async () => assert.equal((await fetch(`${tracker.httpUrl}/healthz`)).status, 200));
});
