/**
 * Nothing acknowledged is ever lost, not even across kill -9: a real tracker
 * process takes a burst of writes, is killed mid-burst, and restarts on the
 * same data dir with every acknowledged op. A torn last record (an append the
 * crash cut short) is dropped, not fatal.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connectClient, eventually, spawnTracker, tempDir, userClient } from '../helpers/tracker.ts';
import type { TrackerClient } from '../../client/tracker.ts';

/**
 * Sends 400 writes at once and kills the tracker with kill -9 as soon as
 * `killAfterAcks` of them are acknowledged, the rest still in flight.
 */
const MANY_GROUPS = ['--quota', 'groups-per-user=1000'];

async function burstThenKill(
  t: TestContext,
  dataDir: string,
  killAfterAcks: number,
  extraArgs: string[] = [],
  beforeBurst?: (owner: TrackerClient) => Promise<string[]>,
) {
  // One owner makes up to 460 groups here: more than the default groups-per-user quota allows.
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crashy', ...MANY_GROUPS, ...extraArgs]);
  const owner = await userClient(t, tracker.wsUrl, 'owner');
  const acknowledged: string[] = beforeBurst ? await beforeBurst(owner) : [];
  let killed = false;
  const attempts: Promise<void>[] = [];
  for (let i = 0; i < 400; i++) {
    const groupId = `g${i}`;
    attempts.push(
      owner.request('create_group', { groupId }).then(
        () => {
          acknowledged.push(groupId);
          if (!killed && acknowledged.length >= killAfterAcks) {
            killed = true;
            tracker.process.kill('SIGKILL');
          }
        },
        () => undefined, // in flight when the process died: may or may not have landed
      ),
    );
  }
  // If the writes all failed, the kill never came: end the process anyway and fail below.
  await Promise.race([tracker.exited, Promise.allSettled(attempts)]);
  const killedMidBurst = killed;
  if (!killed) tracker.process.kill('SIGKILL');
  await tracker.exited;
  owner.close();
  await Promise.allSettled(attempts);
  assert.ok(killedMidBurst, `the tracker was killed mid-burst (${acknowledged.length} writes acknowledged)`);
  t.diagnostic(`${acknowledged.length} of 400 writes acknowledged before kill -9`);
  return acknowledged;
}

test('every acknowledged op survives kill -9', async (t) => {
  const dataDir = await tempDir(t);
  const acknowledged = await burstThenKill(t, dataDir, 100);

  const restarted = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crashy', ...MANY_GROUPS]);
  const owner = await connectClient(t, restarted.wsUrl);
  await owner.login('owner', 'password1');
  const present = new Set((await owner.request('list_groups', {})).groups.map((g) => g.groupId));
  const lost = acknowledged.filter((g) => !present.has(g));
  assert.deepEqual(lost, [], 'no acknowledged group is missing');
  // The restarted tracker carries on numbering and accepting writes.
  await owner.request('create_group', { groupId: 'after-restart' });
});

test('a torn last record from a crash is dropped, not fatal', async (t) => {
  const dataDir = await tempDir(t);
  const acknowledged = await burstThenKill(t, dataDir, 100);
  const logs = (await readdir(dataDir)).filter((f) => /^ops\.\d+\.log$/.test(f)).sort();
  // What a write cut short by a crash leaves: half a record, no newline.
  await appendFile(join(dataDir, logs.at(-1)!), '{"origin":"crashy","seq":99999,"hlc":1,"kind":"group_cr');

  const restarted = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crashy', ...MANY_GROUPS]);
  assert.match(restarted.output(), /dropped \d+ torn bytes/);
  const owner = await connectClient(t, restarted.wsUrl);
  await owner.login('owner', 'password1');
  const present = new Set((await owner.request('list_groups', {})).groups.map((g) => g.groupId));
  assert.deepEqual(acknowledged.filter((g) => !present.has(g)), []);
  await owner.request('create_group', { groupId: 'after-torn-tail' });
  assert.ok((await owner.request('list_groups', {})).groups.some((g) => g.groupId === 'after-torn-tail'));
});

test('kill -9 with snapshots being taken loses nothing either', async (t) => {
  const dataDir = await tempDir(t);
  // A snapshot every 50 ops: several snapshots and log rotations happen during the burst.
  // First a snapshot is made durable, then the burst runs (taking more snapshots) and is killed.
  const acknowledged = await burstThenKill(t, dataDir, 150, ['--snapshot-every', '50'], async (owner) => {
    const warm: string[] = [];
    for (let i = 0; i < 60; i++) {
      await owner.request('create_group', { groupId: `warm${i}` });
      warm.push(`warm${i}`);
    }
    await eventually(async () => assert.ok((await readdir(dataDir)).includes('snapshot.json')), 20_000);
    return warm;
  });
  const restarted = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'crashy', '--snapshot-every', '50', ...MANY_GROUPS]);
  const owner = await connectClient(t, restarted.wsUrl);
  await owner.login('owner', 'password1');
  const present = new Set((await owner.request('list_groups', {})).groups.map((g) => g.groupId));
  assert.deepEqual(acknowledged.filter((g) => !present.has(g)), []);
});
