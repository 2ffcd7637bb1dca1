/**
 * Bad input to one-shot `meshdrop`: each case a clear message and the exit
 * code it means (cli/exit-codes.ts), and nothing changed or half-written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestTracker } from '../helpers/tracker.ts';
import { cliPerson, ok, signedIn } from '../helpers/cli.ts';

test('bad command lines, paths, passwords and groups: a clear message, a meaningful exit code, nothing half-written', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const alice = await signedIn(t, 'alice', url);
  const bob = await signedIn(t, 'bob', url);
  await ok(alice, ['create_group', 'family']);
  await ok(alice, ['create_group', 'secret']);
  await ok(bob, ['join_group', 'family']);
  await ok(alice, ['accept_request', 'family', 'bob']);
  const file = join(alice.home, 'a.bin');
  await writeFile(file, new Uint8Array(1000).fill(1));
  await ok(alice, ['upload_file', file, 'family']);

  const expect = async (who: typeof alice, args: string[], code: number, message: RegExp) => {
    const r = await who.run(args);
    assert.equal(r.code, code, `meshdrop ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, `meshdrop ${args.join(' ')}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  };
  // The command line itself.
  await expect(bob, ['frobnicate'], 2, /Unknown command "frobnicate"/);
  await expect(bob, ['list_group'], 2, /Did you mean list_groups\?/);
  await expect(bob, ['list_files'], 2, /list_files needs a group\. Usage: list_files <group>/);
  await expect(bob, ['accept_request', 'family', 'carol', 'extra'], 2, /at most 2/);
  await expect(bob, ['download_file', 'family', 'a.bin'], 2, /download_file needs a destination_path/);
  await expect(bob, ['list_groups', '--frob'], 2, /Unknown option '--frob'/);
  await expect(bob, ['seed', 'now'], 2, /seed takes no arguments/);
  // Local files.
  await expect(alice, ['upload_file', join(alice.home, 'missing.bin'), 'family'], 4, /No file at .*missing\.bin/);
  // A folder is shared as one batch (cli-folder.test.ts); what is neither a file nor a folder is refused.
  await expect(alice, ['upload_file', '/dev/null', 'family'], 4, /\/dev\/null is not a file or a folder/);
  await expect(bob, ['download_file', 'family', 'a.bin', '/proc/a.bin'], 4, /Cannot write to \/proc\/a\.bin/);
  await expect(bob, ['download_file', 'family', 'a.bin', join(bob.home, 'no/such/dir/')], 4, /does not exist/);
  await writeFile(join(bob.home, 'taken.bin'), 'mine');
  await expect(bob, ['download_file', 'family', 'a.bin', join(bob.home, 'taken.bin')], 4, /already exists/);
  // The tracker's refusals.
  const stranger = await cliPerson(t, 'carol');
  await expect(stranger, ['login', 'alice', 'wrong-password', '--tracker', url], 3, /Wrong user name or password/);
  await expect(stranger, ['list_groups', '--tracker', url], 3, /Please sign in first/);
  await expect(bob, ['list_files', 'secret'], 1, /not a member of this group/);
  await expect(bob, ['download_file', 'secret', 'a.bin', bob.home], 1, /not a member of this group/);
  await expect(bob, ['upload_file', join(alice.home, 'a.bin'), 'secret'], 1, /not a member of this group/);
  await expect(bob, ['download_file', 'family', 'nothing.bin', bob.home], 1, /No file named "nothing\.bin"/);
  // No tracker at all.
  const lost = await cliPerson(t, 'dave');
  await expect(lost, ['list_groups'], 2, /No tracker given/);
  await expect(lost, ['list_groups', '--tracker', 'ws://127.0.0.1:9/ws'], 5, /Could not reach a tracker/);

  // Nothing was written by the refused downloads: no file, no part file, no record.
  const names = (await readdir(bob.home)).filter((n) => !n.startsWith('.'));
  assert.deepEqual(names.sort(), ['taken.bin']);
  await mkdir(join(bob.home, '.local/share/meshdrop/bob/files'), { recursive: true });
  assert.deepEqual(await readdir(join(bob.home, '.local/share/meshdrop/bob/files')), [], 'no transfer record was left');

  // --json says the same in one object.
  const j = await bob.run(['list_files', 'secret', '--json']);
  assert.equal(j.code, 1);
  const body = JSON.parse(j.stdout);
  assert.equal(body.ok, false);
  assert.equal(body.error.code, 'not_member');
});

test('a file that cannot be read is refused before anything is shared (run as an unprivileged user: root reads everything)', { timeout: 60_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  const secret = join(alice.home, 'secret.bin');
  await writeFile(secret, new Uint8Array(100).fill(9));
  // The whole home (session, records) becomes nobody's; the file itself stays unreadable to them.
  await chownTree(alice.home, NOBODY, NOBODY);
  await chmod(secret, 0o000);
  const r = await alice.run(['upload_file', secret, 'family'], { uid: NOBODY, gid: NOBODY });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /secret\.bin cannot be read \(permission denied\)/);
  const listed = await alice.run(['list_files', 'family'], { uid: NOBODY, gid: NOBODY });
  assert.match(listed.stdout, /No files in family yet/);
});

const NOBODY = 65534;

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid, gid);
    else await chown(path, uid, gid);
  }
}
