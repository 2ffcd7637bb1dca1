/**
 * Two meshed trackers; the command-line seeder sits on one, the
 * command-line downloader on the other. The downloader's tracker is killed
 * with -9 mid-download: the transfer goes on peer to peer, the client moves
 * to the surviving tracker, and the download completes byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../helpers/tracker.ts';
import { startMesh } from './mesh-acceptance.ts';
import { ok, signedIn } from '../helpers/cli.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('a command-line download completes when its tracker is killed mid-download, and a seed whose tracker dies serves on through another', { timeout: 240_000 }, async (t) => {
  const mesh = await startMesh(t, 'links', 2);
  const [t0, t1] = mesh.nodes;
  const alice = await signedIn(t, 'alice', t0!.wsUrl);
  const bob = await signedIn(t, 'bob', t1!.wsUrl);
  await ok(alice, ['create_group', 'family']);
  await eventually(async () => ok(bob, ['join_group', 'family']), 20_000, 200);
  await ok(alice, ['accept_request', 'family', 'bob']);
  const bytes = randomBytes(12 * 1024 * 1024);
  const path = join(alice.home, 'big.bin');
  await writeFile(path, bytes);
  await ok(alice, ['upload_file', path, 'family']);
  const seed = alice.start(['seed', '--upload-limit', '1M']);
  await seed.waitFor(/serving/);
  await eventually(async () => assert.match(await ok(bob, ['list_files', 'family']), /1 holder online/), 20_000, 200);

  const dest = join(bob.home, 'big.bin');
  const download = bob.start(['download_file', 'family', 'big.bin', dest], { env: { MESHDROP_TRACE: 'pieces' } });
  await download.waitFor(/(trace: stored piece[\s\S]*){3}/, 60_000);
  await mesh.kill(1);
  const atKill = [...download.output().matchAll(/trace: stored piece/g)].length;
  assert.ok(atKill < 24, `mid-download when the tracker died (${atKill}/24)`);
  assert.equal(await download.exited, 0, download.output());
  assert.match(download.output(), /Downloaded big\.bin/);
  assert.match(download.output(), new RegExp(`Lost the tracker; trying the others\\.[\\s\\S]*Connected to ${t0!.wsUrl}`), 'it moved to the surviving tracker');
  assert.equal(sha1(await readFile(dest)), sha1(bytes));
  // The seed on the surviving tracker saw nothing of it.
  assert.doesNotMatch(seed.output(), /lost the tracker/);

  // Now the seed's own tracker dies: it moves to the other one and is a holder there again.
  await mesh.start(1);
  await mesh.linked();
  await mesh.kill(0);
  await seed.waitFor(new RegExp(`lost the tracker; trying the others[\\s\\S]*connected to ${t1!.wsUrl}`), 60_000);
  await eventually(async () => assert.match(await ok(bob, ['list_files', 'family', '--tracker', t1!.wsUrl]), /1 holder online/), 30_000, 500);
});
