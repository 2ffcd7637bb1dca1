/**
 * An empty file (0 bytes) through the command line: shared, listed and
 * downloaded as an empty file of the same name (zero pieces: complete at
 * once, with nobody online to fetch from).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestTracker, tempDir } from '../helpers/tracker.ts';
import { ok, signedIn } from '../helpers/cli.ts';

test('the command line shares and downloads an empty file', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  const bob = await signedIn(t, 'bob', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  await ok(bob, ['join_group', 'family']);
  await ok(alice, ['accept_request', 'family', 'bob']);

  const dir = await tempDir(t, 'meshdrop-files-');
  const path = join(dir, 'marker');
  await writeFile(path, new Uint8Array(0));
  assert.match(await ok(alice, ['upload_file', path, 'family']), /Shared marker in family \(0 pieces\)/);
  assert.match(await ok(bob, ['list_files', 'family']), /marker/);

  const out = join(bob.home, 'downloads');
  await mkdir(out);
  assert.match(await ok(bob, ['download_file', 'family', 'marker', out]), /Downloaded marker/);
  const saved = await stat(join(out, 'marker'));
  assert.ok(saved.isFile());
  assert.equal(saved.size, 0);
  assert.match(await ok(bob, ['show_downloads']), /^\[C\] \[family\] marker$/m);
});
