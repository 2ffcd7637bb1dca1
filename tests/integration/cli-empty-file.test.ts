/**
 * An empty file (0 bytes) through the command line: shared, listed and
 * downloaded as an empty file of the same name (zero pieces: complete at
 * once, with nobody online to fetch from).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tracker.ts';
import { ok } from '../helpers/cli.ts';
import { aliceAndBobInFamily } from '../helpers/cli-stories.ts';

test('the command line shares and downloads an empty file', { timeout: 120_000 }, async (t) => {
  const { alice, bob } = await aliceAndBobInFamily(t);

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
