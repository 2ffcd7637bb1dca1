/**
 * kill -9 of a command-line download halfway, then the same command again:
 * it completes byte-exact, and no piece stored by the first run is fetched
 * again (MESHDROP_TRACE=pieces prints one line per piece stored).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok } from '../helpers/cli.ts';
import { aliceAndBobInFamily } from '../helpers/cli-stories.ts';
import { PART_SUFFIX } from '../../cli/platform/file-store.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const stored = (output: string) => [...output.matchAll(/trace: stored piece (\d+) of/g)].map((m) => Number(m[1]));

test('a download killed with -9 halfway resumes and completes byte-exact, fetching no stored piece twice', { timeout: 180_000 }, async (t) => {
  const { alice, bob } = await aliceAndBobInFamily(t);
  const bytes = randomBytes(16 * 512 * 1024);
  const path = join(alice.home, 'movie.bin');
  await writeFile(path, bytes);
  await ok(alice, ['upload_file', path, 'family']);
  // 1 MiB/s: 8 MiB take ~8 s, so the kill lands in the middle.
  const seed = alice.start(['seed', '--upload-limit', '1M']);
  await seed.waitFor(/serving/);

  const dest = join(bob.home, 'movie.bin');
  const env = { MESHDROP_TRACE: 'pieces' };
  const first = bob.start(['download_file', 'family', 'movie.bin', dest], { env });
  await first.waitFor(/(trace: stored piece[\s\S]*){5}/, 60_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const before = stored(first.output());
  assert.ok(before.length >= 5 && before.length < 16, `killed halfway (${before.length}/16 pieces)`);
  // Nothing under the real name: the part file holds what was fetched.
  await assert.rejects(access(dest));
  await access(dest + PART_SUFFIX);

  const second = await bob.run(['download_file', 'family', 'movie.bin', dest], { env });
  assert.equal(second.code, 0, second.stderr);
  const after = stored(second.stderr);
  assert.equal(sha1(await readFile(dest)), sha1(bytes), 'byte-exact');
  await assert.rejects(access(dest + PART_SUFFIX));
  const twice = after.filter((i) => before.includes(i));
  assert.deepEqual(twice, [], 'no piece stored by the first run was fetched again');
  assert.ok(after.length <= 16 - before.length, `the second run fetched only what was missing (${after.length})`);
});
