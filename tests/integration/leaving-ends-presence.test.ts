/**
 * Leaving a group (or being removed from it) ends, at once and on every
 * tracker, every watch (`get_holders` subscriptions) and every holding
 * (presence) the user had for that group's files: the leaver hears no more
 * `holders_changed`, and nobody is told they still hold pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { helloSocket, type RawSocket } from '../helpers/raw.ts';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { eventually as eventuallyIn, startTestTracker, tempDir, type Teardown } from '../helpers/tracker.ts';
import { metaOf, randomFile } from '../helpers/files.ts';

/** Up to 10 s: each check returns as soon as it holds; the budget only matters on a loaded machine. */
const eventually = <T>(fn: () => T | Promise<T>) => eventuallyIn(fn, 10_000);

let n = 0;
async function ask(s: RawSocket, type: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const id = `q${++n}`;
  s.send({ id, type, ...body });
  const reply = await s.next(id);
  assert.equal(reply.ok, true, `${type}: ${JSON.stringify(reply)}`);
  return reply;
}

async function rawUser(t: Teardown, url: string, userId: string, create = true): Promise<RawSocket & { events: Record<string, unknown>[] }> {
  const s = await helloSocket(t, url);
  const events: Record<string, unknown>[] = [];
  s.ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.event) events.push(m);
  });
  if (create) await ask(s, 'create_user', { userId, password: 'password1' });
  await ask(s, 'login', { userId, password: 'password1' });
  return Object.assign(s, { events });
}

const holdersOf = async (s: RawSocket, fileId: string) =>
  ((await ask(s, 'get_holders', { fileId })).holders as { userId: string }[]).map((h) => h.userId).sort();

/**
 * olga owns g and seeds a file; mia (on `miaUrl`) joins, watches and holds it;
 * then `end` makes mia leave or be removed.
 */
async function scenario(t: Teardown, olgaUrl: string, miaUrl: string, end: 'leave' | 'remove') {
  const olga = await rawUser(t, olgaUrl, 'olga');
  const mia = await rawUser(t, miaUrl, 'mia');
  const miaTab2 = await rawUser(t, miaUrl, 'mia', false);
  await ask(olga, 'create_group', { groupId: 'g' });
  await eventually(async () => ask(mia, 'join_group', { groupId: 'g' }));
  await eventually(async () => ask(olga, 'accept_request', { groupId: 'g', userId: 'mia' }));
  const { fileId, meta } = randomFile('g');
  const pieces = meta.pieceHashes.length;
  await ask(olga, 'upload_file', { fileId, meta });
  await ask(olga, 'announce', { fileId, bitfield: Bitfield.full(pieces).toBase64() });
  await eventually(async () => assert.deepEqual(await holdersOf(mia, fileId), ['olga']));
  await eventually(async () => assert.deepEqual(await holdersOf(miaTab2, fileId), ['olga']));
  await ask(mia, 'announce', { fileId, bitfield: new Bitfield(pieces).toBase64() });
  await eventually(async () => assert.deepEqual(await holdersOf(olga, fileId), ['mia']));

  const seenBefore = [mia.events.length, miaTab2.events.length];
  if (end === 'leave') await ask(mia, 'leave_group', { groupId: 'g' });
  else await ask(olga, 'remove_member', { groupId: 'g', userId: 'mia' });

  // olga's view: mia no longer holds anything of g's files.
  await eventually(async () => assert.deepEqual(await holdersOf(olga, fileId), []));
  // Once mia's own tracker has the op (her tabs hear members_changed), she is out there too.
  for (const [i, tab] of [mia, miaTab2].entries()) {
    await eventually(() => assert.ok(tab.events.slice(seenBefore[i]).some((e) => e.event === 'members_changed'), 'mia\'s tracker knows'));
  }
  // olga keeps seeding: mia's tabs (she watched from both) hear none of it.
  const heardBefore = mia.events.length + miaTab2.events.length;
  const bf = new Bitfield(pieces);
  bf.set(0);
  await ask(olga, 'announce', { fileId, bitfield: bf.toBase64() });
  await ask(olga, 'have', { fileId, pieces: [1] });
  // A watcher who stayed does hear it: the events flowed, mia was just not among their readers.
  const stayer = await rawUser(t, olgaUrl, 'sam');
  await ask(stayer, 'join_group', { groupId: 'g' });
  await ask(olga, 'accept_request', { groupId: 'g', userId: 'sam' });
  await ask(stayer, 'get_holders', { fileId });
  await ask(olga, 'have', { fileId, pieces: [2] });
  await eventually(() => assert.ok(stayer.events.some((e) => e.event === 'holders_changed' && e.userId === 'olga'), 'the stayer hears olga'));
  const late = [...mia.events, ...miaTab2.events].slice(heardBefore).filter((e) => e.event === 'holders_changed');
  const all = [...mia.events, ...miaTab2.events].filter((e) => e.event === 'holders_changed' && e.userId === 'olga' && e.bitfield !== Bitfield.full(pieces).toBase64());
  assert.deepEqual(late, [], 'mia hears no holders_changed after she is out');
  assert.deepEqual(all, [], 'mia heard nothing of olga\'s later announces');
  return { fileId };
}

test('a member who leaves stops hearing holders_changed and disappears from get_holders', async (t) => {
  const tracker = await startTestTracker(t);
  await scenario(t, tracker.wsUrl, tracker.wsUrl, 'leave');
});

test('a member who is removed stops hearing holders_changed and disappears from get_holders', async (t) => {
  const tracker = await startTestTracker(t);
  await scenario(t, tracker.wsUrl, tracker.wsUrl, 'remove');
});

test('across two linked trackers, a leaver on one disappears from the other\'s holders at once', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'shared-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  await scenario(t, a.wsUrl, b.wsUrl, 'leave');
});

test('across two linked trackers, a removed member on one disappears from the other\'s holders', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'shared-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  await scenario(t, a.wsUrl, b.wsUrl, 'remove');
});

test('a group that loses its name in a merge takes its members\' watches and holdings with it', async (t) => {
  const dirB = await tempDir(t);
  // tb, alone first: bob creates "g" (the earlier creation: it will win the name) and shares a file.
  const b1 = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', dataDir: dirB });
  const bob = await rawUser(t, b1.wsUrl, 'bob');
  await ask(bob, 'create_group', { groupId: 'g' });
  const bytes = randomBytes(PIECE_SIZE + 10);
  const { fileId, meta } = metaOf('g', 'same.bin', bytes);
  await ask(bob, 'upload_file', { fileId, meta });
  await b1.close();

  // ta, not linked yet: olga creates her own "g", shares the very same file (same id), holds and watches it.
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'shared-secret' });
  const olga = await rawUser(t, a.wsUrl, 'olga');
  await ask(olga, 'create_group', { groupId: 'g' });
  await ask(olga, 'upload_file', { fileId, meta });
  await ask(olga, 'announce', { fileId, bitfield: Bitfield.full(meta.pieceHashes.length).toBase64() });
  await ask(olga, 'get_holders', { fileId });

  // tb comes back linked to ta: bob's "g" wins; olga is in no group that has the file.
  const b2 = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', dataDir: dirB, peers: [`ws://127.0.0.1:${a.port}`] });
  await eventually(() => assert.equal(a.core.state.groups.get('g')?.owner, 'bob', 'merged: bob\'s g won the name'));
  await eventually(() => {
    const holders = [...a.core.presence.holders(fileId)].map((h) => h.peer.userId);
    assert.deepEqual(holders, [], 'olga no longer holds it, on her own tracker');
  });
  const bob2 = await rawUser(t, b2.wsUrl, 'bob', false);
  await eventually(async () => assert.deepEqual(await holdersOf(bob2, fileId), [], 'bob is never shown olga as a holder'));
  // bob seeds it: olga (her watch ended with her group) hears nothing of it.
  const heard = olga.events.length;
  await ask(bob2, 'announce', { fileId, bitfield: Bitfield.full(meta.pieceHashes.length).toBase64() });
  const sam = await rawUser(t, b2.wsUrl, 'sam');
  await ask(sam, 'join_group', { groupId: 'g' });
  await ask(bob2, 'accept_request', { groupId: 'g', userId: 'sam' });
  await ask(sam, 'get_holders', { fileId });
  await ask(bob2, 'have', { fileId, pieces: [0] });
  await eventually(() => assert.ok(sam.events.some((e) => e.event === 'holders_changed' && e.userId === 'bob'), 'the control watcher hears bob'));
  await eventually(() => assert.ok(a.core.presence.holders(fileId) && [...a.core.presence.holders(fileId)].some((h) => h.peer.userId === 'bob'), 'ta has bob\'s holding'));
  assert.deepEqual(olga.events.slice(heard).filter((e) => e.event === 'holders_changed'), [], 'olga hears no holders_changed for it');
});
