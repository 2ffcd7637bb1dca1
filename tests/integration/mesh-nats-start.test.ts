/**
 * NATS start-up: writes sent while a tracker's bus is still coming up are all
 * replicated (none answered `internal`, none left as a hole in the stream),
 * and a tracker started while NATS nodes are down waits for them and serves
 * once it can, instead of exiting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrackerClient } from '../../client/tracker.ts';
import type { MeshdropError } from '../../protocol/errors.ts';
import { connectClient, eventually, spawnTracker, startTestTracker, tempDir, userClient } from '../helpers/tracker.ts';
import { startNats, startNatsCluster, startSlowProxy } from '../helpers/nats.ts';
import { freePort } from '../helpers/proxy.ts';

test('nats: writes sent while a tracker starts up are all replicated', async (t) => {
  const nats = await startNats(t);
  const a = await startTestTracker(t, { trackerId: 'ta', nats: [nats.url] });
  // A slow path to NATS makes tracker b's bus take seconds to come up.
  const slow = await startSlowProxy(t, nats.url, 150);
  const port = await freePort();
  const dataDir = await tempDir(t);
  const spawned = spawnTracker(t, ['--port', String(port), '--data-dir', dataDir, '--tracker-id', 'tb', '--nats', slow.url]);
  spawned.catch(() => undefined);
  // Connect as soon as the port answers, and write at once.
  const client: TrackerClient = await eventually(() => connectClient(t, `ws://127.0.0.1:${port}/ws`), 20_000, 10);
  await client.request('create_user', { userId: 'early', password: 'password1' });
  await client.login('early', 'password1');
  const errors: string[] = [];
  let acked = 0;
  // 40 groups: within the default quota of groups per user.
  const writes = Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; i < 10; i++) {
      await client.request('create_group', { groupId: `early-${w}-${i}` }).then(
        () => acked++,
        (err: MeshdropError) => errors.push(`${err.code}: ${err.message}`),
      );
    }
  });
  await Promise.all(writes);
  await spawned;
  assert.deepEqual(errors, [], 'every write was answered ok');
  assert.equal(acked, 40);
  // Every one reaches tracker a.
  await eventually(() => {
    const groups = [...a.core.state.groups.keys()].filter((g) => g.startsWith('early-'));
    assert.equal(groups.length, 40, `tracker a has ${groups.length} of the 40 groups`);
  }, 20_000, 100);
});

test('nats: a tracker started while NATS nodes are down waits for them, then serves and replicates', async (t) => {
  const cluster = await startNatsCluster(t);
  const urls = cluster.map((n) => n.url);
  const first = await startTestTracker(t, { trackerId: 't0', nats: urls });
  const alice = await userClient(t, first.wsUrl, 'alice');
  await alice.request('create_group', { groupId: 'before' });
  // Two of three down: no JetStream quorum, so the stream cannot be set up yet.
  await cluster[0]!.kill();
  await cluster[1]!.kill();
  const port = await freePort();
  const dataDir = await tempDir(t);
  const starting = spawnTracker(t, ['--port', String(port), '--data-dir', dataDir, '--tracker-id', 't1', ...urls.flatMap((u) => ['--nats', u])]);
  let exited = false;
  starting.catch(() => (exited = true));
  // Longer than a JetStream API request's timeout (5 s): today's tracker exits with TIMEOUT here.
  await new Promise((r) => setTimeout(r, 7000));
  assert.equal(exited, false, 'the tracker did not give up');
  // One node back: a quorum again. The tracker finishes starting and serves.
  await cluster[1]!.restart();
  const second = await starting;
  await alice.request('create_group', { groupId: 'after' });
  const bob = await userClient(t, second.wsUrl, 'bob');
  await eventually(async () => {
    const groups = (await bob.request('list_groups', {})).groups.map((g) => g.groupId);
    assert.deepEqual(groups.sort(), ['after', 'before']);
  }, 30_000, 200);
  await bob.request('create_group', { groupId: 'from-t1' });
  await eventually(() => assert.ok(first.core.state.groups.has('from-t1')), 30_000, 100);
  assert.ok(!second.output().includes('TIMEOUT') || /retrying/.test(second.output()), 'timeouts, if any, were retried');
});
