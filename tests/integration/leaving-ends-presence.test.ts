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
import { eventually, startTestTracker, type Teardown } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

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
