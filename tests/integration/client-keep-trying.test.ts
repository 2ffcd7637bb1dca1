/**
 * The app's first connection (web/src/ui/app.ts) relies on the client's own
 * loop alone: connect({ keepTrying: true }) says 'reconnecting' once no
 * tracker has answered, and connects by itself when one comes up. Without
 * the option connect() still gives up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { TrackerClient, type ConnectionStatus } from '../../client/tracker.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { eventually, startTestTracker, wsFactory } from '../helpers/tracker.ts';
import { NEWER_TRACKER_WORDS, startOtherVersionTracker } from '../helpers/other-version-tracker.ts';

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('connect({ keepTrying }) waits out a tracker that is not up yet, saying reconnecting meanwhile', async (t) => {
  const port = await freePort();
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${port}/ws`], createSocket: wsFactory, reconnectDelayMs: 20 });
  t.after(() => client.close());
  const statuses: ConnectionStatus[] = [];
  client.on('status', ({ status }) => statuses.push(status));

  const connected = client.connect({ keepTrying: true });
  await eventually(() => assert.equal(client.status, 'reconnecting', 'no tracker yet: the banner says so'));
  await startTestTracker(t, { port });
  await connected;
  assert.equal(client.status, 'connected');
  assert.deepEqual(statuses, ['connecting', 'reconnecting', 'connected'], 'reconnecting said once, not every round');
});

test('connect() without keepTrying still gives up when no tracker answers', async (t) => {
  const port = await freePort();
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${port}/ws`], createSocket: wsFactory, reconnectDelayMs: 20 });
  t.after(() => client.close());
  await assert.rejects(client.connect(), (err: { code?: string }) => err.code === ErrorCode.Disconnected);
  assert.equal(client.status, 'idle');
});

test('connect({ keepTrying }) ends with close()', async (t) => {
  const port = await freePort();
  const client = new TrackerClient({ urls: [`ws://127.0.0.1:${port}/ws`], createSocket: wsFactory, reconnectDelayMs: 20 });
  t.after(() => client.close());
  const connecting = client.connect({ keepTrying: true });
  await eventually(() => assert.equal(client.status, 'reconnecting'));
  client.close();
  await assert.rejects(connecting, (err: { code?: string }) => err.code === ErrorCode.Disconnected);
});

test('close() while an attempt is on its way ends it: no socket stays open, the client stays closed', async (t) => {
  // A client closed between opening a socket and the tracker's hello reply used to finish that
  // attempt anyway: it came up "connected" after close(), with liveness pings keeping its process
  // alive for ever (a test file that never exits; a command line that hangs after logout).
  const tracker = await startTestTracker(t);
  const sockets: WebSocket[] = [];
  const client = new TrackerClient({
    urls: [tracker.wsUrl],
    createSocket: (url) => {
      const socket = new WebSocket(url);
      sockets.push(socket);
      // Closed the moment the socket opens: the client's hello goes, its reply is on its way.
      socket.addEventListener('open', () => client.close());
      return socket as never;
    },
    reconnectDelayMs: 20,
  });
  t.after(() => client.close());
  const statuses: ConnectionStatus[] = [];
  client.on('status', ({ status }) => statuses.push(status));

  const connecting = client.connect();
  await assert.rejects(connecting, (err: { code?: string }) => err.code === ErrorCode.Disconnected);
  await eventually(() => assert.equal(sockets[0]!.readyState, WebSocket.CLOSED, 'the attempt socket is closed'));
  // Long enough for a hello reply to have arrived had the attempt gone on.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(client.status, 'closed');
  assert.equal(sockets.length, 1, 'no further attempt');
  assert.deepEqual(statuses, ['connecting', 'closed']);
});

test('a tracker upgraded under a connected client: the reconnect stops and says why, as the first connection does', async (t) => {
  const tracker = await startTestTracker(t);
  const client = new TrackerClient({ urls: [tracker.wsUrl], createSocket: wsFactory, reconnectDelayMs: 20 });
  t.after(() => client.close());
  const refusals: { code: string; message: string }[] = [];
  client.on('refused', (r) => refusals.push(r));
  await client.connect({ keepTrying: true });

  // The tracker goes down and comes back on the same port speaking another protocol version: a real
  // WebSocket server refusing hello as a tracker of that version does.
  await tracker.close();
  const upgraded = await startOtherVersionTracker(t, { port: tracker.port });

  await eventually(() => assert.deepEqual(refusals, [{ code: ErrorCode.VersionMismatch, message: NEWER_TRACKER_WORDS }]), 10_000);
  assert.equal(client.status, 'idle', 'it stops instead of retrying a refusal that retrying cannot change');
  const asked = upgraded.hellos();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(upgraded.hellos(), asked, 'no more hellos after the refusal');
});
