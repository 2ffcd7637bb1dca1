/**
 * `meshdrop download_file` onto a disk that fills up (a real 2 MiB tmpfs):
 * it stops with words and a local-problem exit code instead of fetching
 * pieces it cannot keep for ever; once there is room, the same command
 * again resumes and completes byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok } from '../helpers/cli.ts';
import { aliceAndBobInFamily } from '../helpers/cli-stories.ts';
import { smallDisk } from '../helpers/tmpfs.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('a download onto a full disk stops with words and exit code 4; with room again, the same command completes it', { timeout: 180_000 }, async (t) => {
  const { alice, bob } = await aliceAndBobInFamily(t);
  const bytes = randomBytes(8 * 512 * 1024);
  const path = join(alice.home, 'movie.bin');
  await writeFile(path, bytes);
  await ok(alice, ['upload_file', path, 'family']);
  const seed = alice.start(['seed']);
  await seed.waitFor(/serving/);

  const disk = await smallDisk(t, 2 * 1024 * 1024);
  const dest = join(disk.root, 'movie.bin');
  const full = await bob.run(['download_file', 'family', 'movie.bin', dest]);
  assert.equal(full.code, 4, `exit ${full.code}, stderr ${full.stderr}`);
  assert.match(full.stderr, /Paused movie\.bin: a piece could not be stored \(.*ENOSPC.*\)\. Free some space, then resume\./);
  assert.doesNotMatch(full.stderr, /\n\s+at /, 'no stack trace');

  // Room again on the same disk, as when the person deletes something: the same command resumes.
  execFileSync('mount', ['-o', 'remount,size=16m', disk.root]);
  const again = await bob.run(['download_file', 'family', 'movie.bin', dest]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(sha1(await readFile(dest)), sha1(bytes), 'byte-exact');
});
