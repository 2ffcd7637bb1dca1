/**
 * The seed's whole workflow through the command line alone: two people,
 * each a `meshdrop` process with its own home, on a real tracker; real
 * node-datachannel between them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestTracker, tempDir } from '../helpers/tracker.ts';
import { cliPerson, ok, signedIn } from '../helpers/cli.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('two command-line users: create, join, accept, upload, list, download byte-exact, show_downloads, stop_share, logout', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const alice = await cliPerson(t, 'alice');
  assert.match(await ok(alice, ['create_user', 'alice', 'password1', '--tracker', url]), /Account alice created/);
  assert.match(await ok(alice, ['login', 'alice', 'password1', '--tracker', url]), /Signed in as alice/);
  // The token, never the password, in a 0600 file; later commands need no --tracker.
  const sessionFile = join(alice.home, '.config/meshdrop/session.json');
  const session = await readFile(sessionFile, 'utf8');
  assert.equal((await stat(sessionFile)).mode & 0o777, 0o600);
  assert.doesNotMatch(session, /password1/);
  assert.match(JSON.parse(session).token, /^[\w-]{20,}$/);
  const bob = await signedIn(t, 'bob', url);

  assert.match(await ok(alice, ['create_group', 'family']), /Group family created/);
  assert.match(await ok(bob, ['join_group', 'family']), /Asked to join family/);
  assert.match(await ok(alice, ['list_requests', 'family']), /family {2}bob/);
  assert.match(await ok(alice, ['accept_request', 'family', 'bob']), /bob is now a member of family/);
  assert.match(await ok(bob, ['list_groups']), /family {2}owner alice {2}2 members {2}you: member/);

  const dir = await tempDir(t, 'meshdrop-files-');
  const bytes = randomBytes(5 * 512 * 1024 + 777);
  const path = join(dir, 'report one.pdf');
  await writeFile(path, bytes);
  assert.match(await ok(alice, ['upload_file', path, 'family']), /Shared report one\.pdf in family \(6 pieces\)/);
  const listed = JSON.parse(await ok(bob, ['list_files', 'family', '--json']));
  assert.equal(listed.ok, true);
  assert.equal(listed.data[0].name, 'report one.pdf');
  assert.equal(listed.data[0].sharedBy, 'alice');

  // Alice's seed serves it from where it is; Bob downloads into a directory.
  const seed = alice.start(['seed']);
  await seed.waitFor(/holding 1 file: 1 complete, serving/);
  const out = join(bob.home, 'downloads');
  await (await import('node:fs/promises')).mkdir(out);
  assert.match(await ok(bob, ['download_file', 'family', 'report one.pdf', out]), /Downloaded report one\.pdf/);
  assert.equal(sha1(await readFile(join(out, 'report one.pdf'))), sha1(bytes));
  assert.match(await ok(bob, ['show_downloads']), /^\[C\] \[family\] report one\.pdf$/m);
  assert.match(await ok(alice, ['show_downloads']), /^\[C\] \[family\] report one\.pdf$/m);

  // A file shared by a one-shot command while the seed runs is picked up and served by the seed.
  const later = randomBytes(700_000);
  await writeFile(join(dir, 'later.bin'), later);
  await ok(alice, ['upload_file', join(dir, 'later.bin'), 'family']);
  await seed.waitFor(/serving later\.bin in family/);
  assert.match(await ok(bob, ['download_file', 'family', 'later.bin', out]), /Downloaded later\.bin/);
  assert.equal(sha1(await readFile(join(out, 'later.bin'))), sha1(later));

  // stop_share takes it out of the group; the seed stops serving it; the files on disk stay.
  assert.match(await ok(alice, ['stop_share', 'family', 'report one.pdf']), /Stopped sharing report one\.pdf/);
  await seed.waitFor(/no longer shared in family; stopped serving it/);
  assert.doesNotMatch(await ok(bob, ['list_files', 'family']), /report one\.pdf/);
  await access(path);
  await access(join(out, 'report one.pdf'));

  seed.child.kill('SIGTERM');
  assert.equal(await seed.exited, 0, 'the seed stops cleanly on SIGTERM');
  assert.match(seed.output(), /SIGTERM: stopping[\s\S]*stopped/);

  assert.match(await ok(alice, ['logout']), /Signed out/);
  await assert.rejects(access(sessionFile), 'logout removes the saved token');
  const after = await alice.run(['list_groups', '--tracker', url]);
  assert.equal(after.code, 3);
  assert.match(after.stderr, /Please sign in first/);
});
