/**
 * The seed's story again, typed into the command console of two real
 * Chromiums (real tracker, real WebRTC): the classic commands have the same
 * effect as the buttons, and say so in words.
 */
import { screenshotPath } from '../helpers/screenshots.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { runCommand, saveDownload, sha1 } from '../helpers/ui.ts';

test('the whole story through the command console', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(2 * 512 * 1024 + 777);

  await withBrowserErrors([alice, bob], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await bob.open(`${tracker.httpUrl}/`);

    assert.deepEqual(await runCommand(A, 'list_groups'), ['Please sign in first: login <user> <password> (or create_user to register).']);
    assert.deepEqual(await runCommand(A, 'create_user alice wonderland'), ['Account alice created. Now: login alice <password>']);
    assert.deepEqual(await runCommand(A, 'create_user alice again123'), ['That user name is taken. Pick another one.']);
    assert.deepEqual(await runCommand(A, 'login alice wonderland'), ['Signed in as alice.']);
    // The password never stays on screen.
    assert.equal(await A.getByText('login alice ••••').count(), 1);
    assert.equal(await A.getByText('wonderland').count(), 0);
    // Same effect as the buttons: the app is signed in.
    await A.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(await runCommand(A, 'create_group photos'), ['Group photos created; you own it.']);

    await runCommand(B, 'create_user bob builder!');
    await runCommand(B, 'login bob builder!');
    assert.deepEqual(await runCommand(B, 'join_group photos'), ['Asked to join photos; the owner will decide.']);
    assert.deepEqual(await runCommand(B, 'join_group photos'), ['You have already asked to join. The owner will decide.']);

    await A.getByText('bob asks to join photos.').waitFor();
    const requests = await runCommand(A, 'list_requests photos');
    assert.equal(requests.length, 1);
    assert.match(requests[0]!, /^photos {2}bob {2}asked /);
    assert.deepEqual(await runCommand(A, 'accept_request photos bob'), ['bob is now a member of photos.']);
    assert.deepEqual(await runCommand(A, 'list_requests'), ['No pending requests.']);
    assert.deepEqual(await runCommand(B, 'list_groups'), ['photos  owner alice  2 members  you: member']);

    // upload_file opens the file picker; the person picks a file.
    const [picked] = await Promise.all([
      A.waitForEvent('filechooser').then(async (chooser) => {
        await chooser.setFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: original });
        return chooser;
      }),
      runCommand(A, 'upload_file photos').then((out) => assert.deepEqual(out, ['Shared notes.bin in photos.'])),
    ]);
    assert.ok(picked.isMultiple());

    const files = await runCommand(B, 'list_files photos');
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^notes\.bin {2}1\.0 MB {2}shared by alice {2}1 holder online {2}id [0-9a-f]{8}$/);
    assert.deepEqual(await runCommand(B, 'download_file photos nothere.txt'), ['No file named "nothere.txt" in this group. list_files shows what is there.']);
    assert.deepEqual(await runCommand(B, 'download_file photos notes.bin'), ['Downloading notes.bin (1.0 MB). show_downloads follows it.']);

    // show_downloads: [D] while it runs, [C] once complete.
    await eventually(async () => {
      const lines = await runCommand(B, 'show_downloads');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^\[D\] \[photos\] notes\.bin {2}\d+\.\d%$|^\[C\] \[photos\] notes\.bin$/);
      assert.equal(lines[0], '[C] [photos] notes.bin');
    }, 60_000, 500);
    await B.screenshot({ path: screenshotPath('console.png') });

    // The console's download is the app's download: the Downloads page saves it, byte for byte.
    await B.keyboard.press('Escape');
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const saved = await saveDownload(B, B.getByRole('button', { name: 'Save notes.bin', exact: true }));
    assert.equal(sha1(saved.bytes), sha1(original));

    assert.deepEqual(await runCommand(B, 'stop_share photos notes.bin'), ['You are not allowed to do that.']);
    assert.deepEqual(await runCommand(A, 'stop_share photos notes.bin'), ['Stopped sharing notes.bin.']);
    assert.deepEqual(await runCommand(B, 'list_files photos'), ['No files in photos yet. upload_file photos shares one.']);
    assert.deepEqual(await runCommand(B, 'leave_group photos'), ['You left photos.']);
    assert.deepEqual(await runCommand(A, 'reject_request photos bob'), ['There is no pending request from that person.']);

    const help = await runCommand(A, 'help download_file');
    assert.deepEqual(help, [
      'usage: download_file <group> <file>',
      'Starts downloading a file of the group, named by its name or the start of its id. Follow it with show_downloads.',
      'example: download_file photos beach.jpg',
    ]);
    assert.deepEqual(await runCommand(A, 'logout'), ['Signed out.']);
    await A.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(await runCommand(A, 'login alice nottheone'), ['Wrong user name or password.']);
  });
  assertNoBrowserErrors(alice, bob);
});
