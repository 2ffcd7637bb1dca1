/**
 * The tracker's request table and pipeline, driven without sockets or disk:
 * the core's log is in memory (tests/helpers/memory-core.ts) and requests
 * run through tracker-server/pipeline.ts exactly as a connection runs them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { Request, type RequestType } from '../../protocol/tracker.ts';
import type { Op } from '../../protocol/ops.ts';
import { requests } from '../../tracker-server/requests.ts';
import { contextFor, runRequest } from '../../tracker-server/pipeline.ts';
import { LoginLimiter } from '../../tracker-server/limits.ts';
import { Presence, type PresenceOrigin } from '../../tracker-server/presence.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { Mesh } from '../../tracker-server/mesh/mesh.ts';
import type { Bus } from '../../tracker-server/mesh/bus.ts';
import type { PresenceMessage } from '../../protocol/mesh.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { coreInMemory, memoryClient, nextRequestId, run, type MemoryClient } from '../helpers/memory-core.ts';
import { randomFile } from '../helpers/files.ts';

const failsWith = (code: ErrorCode) => (err: unknown) => err instanceof MeshdropError && err.code === code;

async function signedUp(core: Awaited<ReturnType<typeof coreInMemory>>, name: string): Promise<MemoryClient> {
  const c = memoryClient(core, name);
  await run(c, { type: 'create_user', userId: name, password: 'password1' } as never);
  await run(c, { type: 'login', userId: name, password: 'password1' } as never);
  return c;
}

test('every request type has exactly one descriptor, naming the schema protocol/ parses it with', () => {
  const types = Request.options.map((o) => o.shape.type.value).sort();
  assert.deepEqual(Object.keys(requests).sort(), types, 'one descriptor per request type, hello and ping included, and no other');
  for (const option of Request.options) {
    const type = option.shape.type.value as RequestType;
    const descriptor = requests[type];
    assert.equal(descriptor.schema, option, `${type}: the schema is the one parseRequest uses`);
    assert.ok(['connection', 'soft', 'read', 'write'].includes(descriptor.runs), `${type}: runs ${descriptor.runs}`);
    assert.equal(typeof descriptor.handler, 'function', `${type}: a handler`);
    if (descriptor.runs === 'write') assert.equal(typeof descriptor.replay, 'function', `${type}: a write says how its reply is rebuilt`);
  }
  assert.deepEqual(
    Object.entries(requests).filter(([, d]) => d.runs === 'connection').map(([t]) => t).sort(),
    ['hello', 'ping'],
    'only hello and ping are answered by the connection',
  );
});

test('a request the table says makes no op cannot make one; every request but hello and ping needs hello first', async (t) => {
  const core = await coreInMemory();
  t.after(() => core.close());
  const ctx = contextFor(core, memoryClient(core, 'ann'), new LoginLimiter());
  assert.equal(ctx.requestKey, undefined);
  assert.throws(() => ctx.commit({ kind: 'group_created', groupId: 'g', by: 'ann', byKey: 'k' }), /makes no op/);
  const fresh = { ...memoryClient(core, 'bob'), helloDone: false };
  assert.deepEqual(runRequest(fresh, { id: 'p', type: 'ping' }), {}, 'ping before hello is answered');
  assert.throws(() => runRequest(fresh, { id: 'l', type: 'list_groups' }), failsWith(ErrorCode.HelloFirst));
  assert.throws(() => runRequest(fresh, { id: 's', type: 'unannounce', fileId: 'a'.repeat(40) }), failsWith(ErrorCode.HelloFirst));
});

test('a soft request is answered synchronously, with no promise in between', async (t) => {
  const core = await coreInMemory();
  t.after(() => core.close());
  const ann = await signedUp(core, 'ann');
  const reply = runRequest(ann, { id: nextRequestId(), type: 'unannounce', fileId: 'a'.repeat(40) });
  assert.ok(!(reply instanceof Promise), 'the signal and presence path stays synchronous');
  assert.deepEqual(reply, {});
});

test('every op-making request retried with its id is answered from its op: the same reply, nothing applied twice', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const seen = new Set<RequestType>();
  /** Runs a write, then its retry (same client, same id): the retry makes no op and gets the first reply. */
  const twice = async (c: MemoryClient, body: Omit<Request, 'id'>): Promise<Record<string, unknown>> => {
    const id = nextRequestId();
    const first = await run(c, body, id);
    const ops = log.ops.length;
    const again = await run(c, body, id);
    assert.deepEqual(again, first, `${body.type}: the replayed reply is the first one`);
    assert.equal(log.ops.length, ops, `${body.type}: the retry made no op`);
    seen.add(body.type);
    return first;
  };
  /** A write whose reply held a fresh secret: its retry is told the reply was lost, and makes nothing. */
  const lostOnRetry = async (c: MemoryClient, body: Omit<Request, 'id'>): Promise<Record<string, unknown>> => {
    const id = nextRequestId();
    const first = await run(c, body, id);
    const ops = log.ops.length;
    await assert.rejects(run(c, body, id), failsWith(ErrorCode.Disconnected), `${body.type}: a lost secret is not rebuilt`);
    assert.equal(log.ops.length, ops);
    seen.add(body.type);
    return first;
  };

  const ann = memoryClient(core, 'ann');
  await twice(ann, { type: 'create_user', userId: 'ann', password: 'password1' } as never);
  await lostOnRetry(ann, { type: 'login', userId: 'ann', password: 'password1' } as never);
  const bob = memoryClient(core, 'bob');
  await twice(bob, { type: 'create_user', userId: 'bob', password: 'password1' } as never);
  await run(bob, { type: 'login', userId: 'bob', password: 'password1' } as never);
  const cy = await signedUp(core, 'cy');
  const dee = await signedUp(core, 'dee');

  await twice(ann, { type: 'create_group', groupId: 'family' } as never);
  await twice(bob, { type: 'join_group', groupId: 'family' } as never);
  await twice(ann, { type: 'accept_request', groupId: 'family', userId: 'bob' } as never);
  await twice(cy, { type: 'join_group', groupId: 'family' } as never);
  await twice(ann, { type: 'reject_request', groupId: 'family', userId: 'cy' } as never);
  await lostOnRetry(ann, { type: 'create_invite', groupId: 'family' } as never);
  const { invites } = (await run(ann, { type: 'list_invites', groupId: 'family' } as never)) as { invites: { inviteId: string }[] };
  await twice(ann, { type: 'revoke_invite', groupId: 'family', inviteId: invites[0]!.inviteId } as never);
  const { fileId, meta } = randomFile('family', 'a.bin', 1000);
  await twice(bob, { type: 'upload_file', fileId, meta } as never);
  await twice(bob, { type: 'stop_share', fileId } as never);
  await twice(ann, { type: 'remove_member', groupId: 'family', userId: 'bob' } as never);
  await run(dee, { type: 'join_group', groupId: 'family' } as never);
  await run(ann, { type: 'accept_request', groupId: 'family', userId: 'dee' } as never);
  await twice(dee, { type: 'leave_group', groupId: 'family' } as never);

  // A second session of ann's, revoked by its public id.
  const ann2 = memoryClient(core, 'ann-phone');
  await run(ann2, { type: 'login', userId: 'ann', password: 'password1' } as never);
  const { sessions } = (await run(ann, { type: 'list_sessions' } as never)) as { sessions: { sessionId: string; current: boolean }[] };
  await twice(ann, { type: 'revoke_session', sessionId: sessions.find((s) => !s.current)!.sessionId } as never);
  await twice(ann, { type: 'logout' } as never);

  // Not retried here: resume makes an op only when a session is due for
  // renewal, and its descriptor refuses to rebuild one (requests.ts);
  // logout_all ends the session of the very connection that would retry it.
  const writes = (Object.keys(requests) as RequestType[]).filter((type) => requests[type].runs === 'write' && type !== 'resume' && type !== 'logout_all');
  assert.deepEqual([...seen].sort(), writes.sort(), 'every op-making request was retried');
});

test('a retry is answered from the op only for the client that made it, and an id used for another request is refused', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = await signedUp(core, 'ann');
  await run(ann, { type: 'create_group', groupId: 'g1' } as never, 'same-id');
  await assert.rejects(run(ann, { type: 'create_group', groupId: 'g2' } as never, 'same-id'), failsWith(ErrorCode.InvalidMessage));
  assert.equal(core.state.groups.has('g2'), false);
  const other = await signedUp(core, 'ben');
  await assert.rejects(run(other, { type: 'create_group', groupId: 'g1' } as never, 'same-id'), failsWith(ErrorCode.GroupExists), "another client's same id is its own request");
});

test('a read waits for writes on their way to disk: a list never shows an op that may yet be taken back', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = await signedUp(core, 'ann');
  await run(ann, { type: 'create_group', groupId: 'g' } as never);
  // ann on another connection makes the writes.
  const writer = memoryClient(core, 'ann-laptop');
  await run(writer, { type: 'login', userId: 'ann', password: 'password1' } as never);
  for (const [read, body, write] of [
    ['list_invites', { type: 'list_invites', groupId: 'g' }, { type: 'create_invite', groupId: 'g' }],
    ['list_sessions', { type: 'list_sessions' }, { type: 'login', userId: 'ann', password: 'password1' }],
    ['list_groups', { type: 'list_groups' }, { type: 'create_group', groupId: 'h' }],
  ] as const) {
    const release = log.hold();
    const written = run(writer, write as never);
    // Applied and on its way to disk (a log-in hashes its password first).
    for (let i = 0; core.writesInFlight() === undefined; i++) {
      assert.ok(i < 5000, `${write.type} never reached the log`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const listed = runRequest(ann, { id: nextRequestId(), ...body } as Request);
    assert.ok(listed instanceof Promise, `${read} waits while a write is in flight`);
    let answered = false;
    void listed.then(() => (answered = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, `${read} is not answered before the write is durable`);
    release();
    await written;
    await listed;
  }
});

test('Presence tags each change with its origin: a peer of this tracker is local, another tracker\'s is from the mesh', () => {
  const presence = new Presence('here');
  const heard: [string, boolean, PresenceOrigin][] = [];
  const stop = presence.onChange((h, gone, origin) => heard.push([h.peer.peerId, gone, origin]));
  presence.addPeer({ peerId: 'mine', userId: 'ann', trackerId: 'here' });
  presence.addPeer({ peerId: 'theirs', userId: 'bob', trackerId: 'there' });
  presence.announce('mine', 'f', new Bitfield(8));
  presence.announce('theirs', 'f', new Bitfield(8));
  presence.have('mine', 'f', [1]);
  presence.unannounce('theirs', 'f');
  presence.announce('theirs', 'f', new Bitfield(8));
  presence.dropFile('f');
  presence.announce('mine', 'g', new Bitfield(8));
  presence.removePeer('mine');
  assert.deepEqual(heard, [
    ['mine', false, 'local'],
    ['theirs', false, 'mesh'],
    ['mine', false, 'local'],
    ['theirs', true, 'mesh'],
    ['theirs', false, 'mesh'],
    ['mine', true, 'local'],
    ['theirs', true, 'mesh'],
    ['mine', false, 'local'],
    ['mine', true, 'local'],
  ]);
  stop();
  presence.addPeer({ peerId: 'later', userId: 'cy', trackerId: 'here' });
  presence.announce('later', 'f', new Bitfield(8));
  assert.equal(heard.length, 9, 'a listener that stopped hears nothing more');
});

/** A bus that records what the mesh publishes. */
function recordingBus(): Bus & { presence: PresenceMessage[]; ops: Op[] } {
  const presence: PresenceMessage[] = [];
  const ops: Op[] = [];
  return {
    kind: 'links',
    stats: { opsSent: 0, opsReceived: 0, trackers: 0 },
    presence,
    ops,
    start: async () => undefined,
    publishOps: (o) => void ops.push(...o),
    publishPresence: (m) => void presence.push(m),
    sendSignal: () => false,
    resync: () => undefined,
    close: async () => undefined,
  };
}

test('presence changes reach watchers whatever their origin, and only local ones are published to the mesh', async (t) => {
  const core = await coreInMemory();
  t.after(() => core.close());
  const bus = recordingBus();
  const mesh = new Mesh(core, bus);
  await mesh.start();
  t.after(() => mesh.close());
  const ann = await signedUp(core, 'ann');
  const bob = await signedUp(core, 'bob');
  await run(ann, { type: 'create_group', groupId: 'g' } as never);
  await run(bob, { type: 'join_group', groupId: 'g' } as never);
  await run(ann, { type: 'accept_request', groupId: 'g', userId: 'bob' } as never);
  const { fileId, meta } = randomFile('g', 'a.bin', 1000);
  await run(ann, { type: 'upload_file', fileId, meta } as never);
  await run(bob, { type: 'get_holders', fileId } as never); // bob watches the file
  const heardByBob = () => bob.heard.filter((m) => 'event' in m && m.event === 'holders_changed') as { peerId: string; bitfield: string | null }[];
  const published = () => bus.presence.flatMap((m) => m.holdings.map((h) => `${h.peerId}:${h.bitfield === null ? 'gone' : 'set'}`));

  // A local client's request.
  await run(ann, { type: 'announce', fileId, bitfield: new Bitfield(1).toBase64() } as never);
  await run(ann, { type: 'have', fileId, pieces: [0] } as never);
  assert.deepEqual(heardByBob().map((e) => [e.peerId, e.bitfield !== null]), [[ann.peerId, true], [ann.peerId, true]], 'bob hears ann announce and have');
  assert.deepEqual(published(), [`${ann.peerId}:set`, `${ann.peerId}:set`], 'local changes are published');

  // From the mesh: a peer of another tracker, as mesh.receivePresence takes it in.
  mesh.receivePresence({ type: 'presence', reset: false, holdings: [{ peerId: 'far-peer-1', userId: 'ann', fileId, pieces: 1, bitfield: new Bitfield(1).toBase64() }] }, 'other');
  assert.deepEqual(heardByBob().at(-1)?.peerId, 'far-peer-1', 'bob hears a holding learnt from the mesh');
  mesh.trackerDown('other');
  assert.deepEqual([heardByBob().at(-1)?.peerId, heardByBob().at(-1)?.bitfield], ['far-peer-1', null], 'and its end when that tracker goes');
  assert.equal(published().length, 2, 'nothing learnt from the mesh is published back');

  // From an op: the share stops; every tracker drops its holdings, watchers hear it, and a local holder's end is published.
  await run(ann, { type: 'stop_share', fileId } as never);
  assert.deepEqual([heardByBob().at(-1)?.peerId, heardByBob().at(-1)?.bitfield], [ann.peerId, null], 'bob hears ann\'s holding end with the share');
  assert.deepEqual(published().at(-1), `${ann.peerId}:gone`);
  assert.deepEqual(mesh.presenceSnapshot().holdings, [], 'the snapshot for a tracker that appears holds no stopped share');
});
