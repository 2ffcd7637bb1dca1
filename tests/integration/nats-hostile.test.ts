/**
 * Issue 8, item 2 over NATS: a signal whose data nests 5,000 deep, and other
 * hostile payloads on the plain subjects, are dropped as malformed (by the
 * tracker, or for data sent as text by the client that reads it); the
 * tracker's subscriptions go on (a valid signal after them is delivered) and
 * replication goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { NATS } from '../../protocol/mesh.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { deepArray } from '../helpers/hostile.ts';
import { randomFile } from '../helpers/files.ts';
import { startNats } from '../helpers/nats.ts';
import { eventually, recordEvents, startTestTracker, userClient } from '../helpers/tracker.ts';

test('nats: a deep signal and hostile payloads are dropped; signals and replication go on', async (t) => {
  const nats = await startNats(t);
  const n1 = await startTestTracker(t, { trackerId: 'n1', nats: [nats.url] });
  const n2 = await startTestTracker(t, { trackerId: 'n2', nats: [nats.url] });
  const alice = await userClient(t, n1.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'g' });
  const { fileId, meta } = randomFile('g');
  await alice.request('upload_file', { fileId, meta });
  await alice.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  const events = recordEvents(alice);

  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  // `data` is the sender's JSON text, as a string: a tracker relays it unparsed (protocol/signals-frame.ts).
  const signal = (data: string) =>
    `{"type":"signal","to":"${alice.peerId}","signal":{"fileId":"${fileId}","from":"peer-abcdefgh","fromUser":"alice","data":${data}}}`;
  const malformed: string[] = [];
  alice.on('malformed', ({ problem }) => malformed.push(problem));
  const enc = (s: string) => new TextEncoder().encode(s);
  nc.publish(NATS.signal('n1'), enc(signal(deepArray(5000))));
  nc.publish(NATS.signal('n1'), enc('{"type":{"toString":1}}'));
  nc.publish(NATS.presence, enc(`{"from":"n9","message":${deepArray(5000)}}`));
  nc.publish(NATS.heartbeat, enc(`{"type":"heartbeat","trackerId":{"toString":1},"urls":${deepArray(5000)}}`));
  nc.publish(NATS.signal('n1'), enc('not json'));
  // Deep as text it is a well-formed message: relayed, and dropped by the receiving client, which reads it.
  nc.publish(NATS.signal('n1'), enc(signal(JSON.stringify(deepArray(5000)))));
  nc.publish(NATS.signal('n1'), enc(signal(JSON.stringify('{"type":"offer","sdp":"v=0"}'))));
  await nc.flush();
  await eventually(() => assert.ok(events.some((e) => e.event === 'signal'), 'the valid signal after them was delivered'));
  assert.equal(events.filter((e) => e.event === 'signal').length, 1, 'and only it');
  assert.deepEqual(malformed, ['a relayed signal whose data nests deeper than 32 levels']);

  await alice.request('create_group', { groupId: 'after-hostile' });
  await eventually(() => assert.ok(n2.core.state.groups.has('after-hostile'), 'replication goes on'));
});
