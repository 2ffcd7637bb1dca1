/**
 * NATS security and robustness. With `--secret`, every message a tracker
 * publishes on NATS is signed, and a forged op, tracker advert (heartbeat with
 * URLs), presence or signal published straight to NATS is refused: counted,
 * never applied, and a forged failover URL never reaches a hello reply.
 * Without a secret, hostile messages on any subject stop nothing: every NATS
 * callback and the consume loop survive them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, JSONCodec, type NatsConnection } from 'nats';
import { connectClient, eventually, startTestTracker, userClient } from '../helpers/tracker.ts';
import { startNats } from '../helpers/nats.ts';
import type { NatsBus } from '../../tracker-server/mesh/nats.ts';
import type { RunningTracker } from '../../tracker-server/server.ts';

const codec = JSONCodec<unknown>();
const FILE_ID = 'a'.repeat(40);

async function rawNats(t: { after(fn: () => unknown): void }, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  return nc;
}

const busOf = (tracker: RunningTracker) => tracker.mesh!.bus as NatsBus;

/** A well-formed group_created op, as a forger would write it. */
function forgedOp(origin: string, seq: number, groupId: string, by: string, byKey: string) {
  return { origin, seq, hlc: Date.now() * 1000, kind: 'group_created', groupId, by, byKey };
}

test('nats with --secret: trackers with the same secret replicate; forged ops, adverts, presence and signals are refused', async (t) => {
  const nats = await startNats(t);
  const secret = 'nats-test-secret';
  const a = await startTestTracker(t, { trackerId: 'ta', nats: [nats.url], secret });
  const b = await startTestTracker(t, { trackerId: 'tb', nats: [nats.url], secret });
  const alice = await userClient(t, a.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'real' });
  await eventually(() => assert.ok(b.core.state.groups.has('real'), 'replication is up'), 30_000, 50);
  // The hello reply lists both trackers: signed adverts are taken.
  await eventually(async () => {
    const probe = await connectClient(t, b.wsUrl);
    probe.close();
    assert.deepEqual([...probe.knownTrackers].sort(), [a.wsUrl, b.wsUrl].sort());
  }, 15_000, 100);

  const userKey = b.core.state.users.get('alice')!.key;
  const nc = await rawNats(t, nats.url);
  const js = nc.jetstream();
  const refusedBefore = busOf(b).stats.refused;
  const seq = (a.core.replica.versionVector().ta ?? 0) + 1;
  const bogus = headers();
  bogus.set('Meshdrop-Mac', 'ab'.repeat(32));
  // Forged ops: as tracker a (its next seq), unsigned and wrongly signed; and as a new origin.
  await js.publish('meshdrop.ops.ta', codec.encode(forgedOp('ta', seq, 'forged-a', 'alice', userKey)));
  await js.publish('meshdrop.ops.ta', codec.encode(forgedOp('ta', seq, 'forged-b', 'alice', userKey)), { headers: bogus });
  await js.publish('meshdrop.ops.tx', codec.encode(forgedOp('tx', 1, 'forged-c', 'alice', userKey)));
  // A forged advert: a failover URL browsers would trust with their tokens.
  const evil = 'wss://evil.example/ws';
  nc.publish('meshdrop.heartbeat', codec.encode({ type: 'heartbeat', trackerId: 'tx', urls: [evil] }));
  const stale = headers();
  stale.set('Meshdrop-At', String(Date.now()));
  stale.set('Meshdrop-Mac', 'cd'.repeat(32));
  nc.publish('meshdrop.heartbeat', codec.encode({ type: 'heartbeat', trackerId: 'ty', urls: [evil] }), { headers: stale });
  // Forged presence and signal.
  nc.publish('meshdrop.presence', codec.encode({ from: 'tx', message: { type: 'presence', reset: false, holdings: [{ peerId: 'forged-peer-1', userId: 'mallory', fileId: FILE_ID, pieces: 8, bitfield: '/w==' }] } }));
  nc.publish('meshdrop.signal.tb', codec.encode({ type: 'signal', to: 'someone-123', event: { event: 'signal', fileId: FILE_ID, from: 'forged-peer-1', fromUser: 'mallory', data: 'hi' } }));
  await nc.flush();

  // Tracker a's real op with the same seq as the forged one arrives, and nothing forged was applied.
  await alice.request('create_group', { groupId: 'after-forgery' });
  await eventually(() => assert.ok(b.core.state.groups.has('after-forgery'), 'the real op did not arrive'), 15_000, 50);
  for (const g of ['forged-a', 'forged-b', 'forged-c']) assert.ok(!b.core.state.groups.has(g), `${g} was applied`);
  // 3 ops, 2 heartbeats, 1 presence, 1 signal: each counted.
  await eventually(() => assert.ok(busOf(b).stats.refused >= refusedBefore + 7, `refused ${busOf(b).stats.refused - refusedBefore}`), 15_000, 50);
  assert.equal(b.core.replica.versionVector().tx, undefined, 'no op of the forged origin is held');
  assert.ok(!b.core.config.publicUrls.includes(evil), 'the forged URL was taken');
  const probe = await connectClient(t, b.wsUrl);
  probe.close();
  assert.ok(!probe.knownTrackers.includes(evil), 'the forged URL reached a hello reply');
  assert.equal(b.core.presence.peer('forged-peer-1'), undefined, 'forged presence was taken');
});

test('nats with --secret: a tracker with another secret is not taken in', async (t) => {
  const nats = await startNats(t);
  const a = await startTestTracker(t, { trackerId: 'ta', nats: [nats.url], secret: 'one secret' });
  const c = await startTestTracker(t, { trackerId: 'tc', nats: [nats.url], secret: 'another secret' });
  const carol = await userClient(t, c.wsUrl, 'carol');
  await carol.request('create_group', { groupId: 'elsewhere' });
  await carol.request('create_group', { groupId: 'elsewhere-2' });
  // Its op and heartbeats are refused, and counted.
  await eventually(() => assert.ok(busOf(a).stats.refused >= 3, 'refused'), 15_000, 50);
  assert.ok(!a.core.state.groups.has('elsewhere'), 'an op signed with another secret was applied');
  assert.ok(!a.core.config.publicUrls.includes(c.wsUrl), 'an advert signed with another secret was taken');
});

test('nats: hostile messages on every subject stop neither a tracker nor its replication', async (t) => {
  const nats = await startNats(t);
  const a = await startTestTracker(t, { trackerId: 'ta', nats: [nats.url] });
  const b = await startTestTracker(t, { trackerId: 'tb', nats: [nats.url] });
  const alice = await userClient(t, a.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'first' });
  await eventually(() => assert.ok(b.core.state.groups.has('first'), 'replication is up'), 30_000, 50);

  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const nc = await rawNats(t, nats.url);
  const js = nc.jetstream();
  const enc = new TextEncoder();
  const hostile = [
    enc.encode('not json'),
    enc.encode('{"type":{"toString":1}}'),
    enc.encode(deep(100_000)),
    enc.encode(`{"type":"signal","to":"someone-123","event":{"event":"signal","fileId":"${FILE_ID}","from":"peer-1234","fromUser":"mallory","data":${deep(5_000)}}}`),
    enc.encode(`{"from":"tx","message":{"type":"presence","reset":false,"holdings":${deep(5_000)}}}`),
    enc.encode(`{"type":"heartbeat","trackerId":"tx","urls":${deep(5_000)}}`),
  ];
  for (const subject of ['meshdrop.signal.tb', 'meshdrop.presence', 'meshdrop.heartbeat']) {
    for (const data of hostile) nc.publish(subject, data);
  }
  for (const data of hostile) await js.publish('meshdrop.ops.tz', data);
  // An op published on another origin's subject.
  await js.publish('meshdrop.ops.tz', codec.encode(forgedOp('ta', 999, 'misfiled', 'alice', 'ta:1')));
  await nc.flush();

  // Replication goes on, over the consumer and the plain subjects alike.
  await alice.request('create_group', { groupId: 'second' });
  await eventually(() => assert.ok(b.core.state.groups.has('second'), 'replication stopped'), 15_000, 50);
  assert.ok(!b.core.state.groups.has('misfiled'), 'an op on another origin\'s subject was applied');
  const bob = await userClient(t, b.wsUrl, 'bob');
  await eventually(async () => {
    const probe = await connectClient(t, b.wsUrl);
    probe.close();
    assert.equal(probe.knownTrackers.length, 2, 'heartbeats stopped');
  }, 15_000, 100);
  assert.equal(bob.userId, 'bob');
});
