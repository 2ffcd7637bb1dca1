/**
 * What an idle connection keeps alive (issue 12 item 2, memory per idle
 * peer): not the HTTP request it was upgraded from. A closure the gateway
 * made per socket shared its scope with one that read the request, and so
 * kept the request (headers, raw headers, stream state) as long as the
 * socket stayed open: about half a KiB per idle peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { helloSocket } from '../helpers/raw.ts';
import { startTestTracker } from '../helpers/tracker.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

test('an open, idle connection does not keep the HTTP request it was upgraded from', async (t) => {
  const tracker = await startTestTracker(t);
  let request: WeakRef<IncomingMessage> | undefined;
  tracker.server.prependListener('upgrade', (req: IncomingMessage) => (request = new WeakRef(req)));
  const socket = await helloSocket(t, tracker.wsUrl);
  assert.ok(request, 'the upgrade was seen');
  assert.equal(tracker.gateway.stats.connections, 1, 'the connection is open');
  // Collected once nothing holds it. A deref keeps its target alive to the end of that turn of the
  // loop, so each collection runs a turn after the last look.
  const turn = () => new Promise((r) => setTimeout(r, 10));
  let collected = false;
  for (let i = 0; i < 10 && !collected; i++) {
    await turn();
    gc();
    await turn();
    collected = request.deref() === undefined;
  }
  assert.ok(collected, 'the request is still held by the open connection');
  socket.send({ id: 'p', type: 'ping' });
  assert.equal((await socket.next('p')).ok, true, 'the connection still works');
});

test('an open connection keeps its WebSocket listeners as fast properties, not a hash table', async (t) => {
  const tracker = await startTestTracker(t);
  const socket = await helloSocket(t, tracker.wsUrl);
  const [conn] = [...tracker.core.clients.all()];
  assert.ok(conn, 'the connection is attached');
  const ws = (conn as unknown as { ws: { _events: object; listenerCount(e: string): number } }).ws;
  for (const event of ['message', 'close', 'pong', 'error']) assert.equal(ws.listenerCount(event), 1, `one ${event} listener`);
  // `{ __proto__: null }`, EventEmitter's own table, is a dictionary: ~240 bytes more per idle peer.
  assert.equal(hasFastProperties(ws._events), true, 'the listener table is in dictionary mode');
  socket.send({ id: 'p', type: 'ping' });
  assert.equal((await socket.next('p')).ok, true, 'the connection still works');
});
