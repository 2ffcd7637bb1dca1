/**
 * Words that say what a button does (issue 13 item 14 and leftovers), in
 * real Chromium against a real tracker: a group owner's button on someone
 * else's file says "Remove from group" and asks first (Cancel keeps the
 * file; "Yes, remove" takes it away for everyone); her own file says "Stop
 * sharing"; a file name over 255 characters says so instead of a generic
 * error; the group page says who has a file in plain words; and with the
 * tracker unreachable, "Make invite link" stays clickable and says so at
 * once instead of greying out until a timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { startProxy } from '../helpers/proxy.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, dropFile, signUp } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';
import { screenshotPath } from '../helpers/screenshots.ts';

test('an owner removes someone else\'s file from the group only after confirming; a too-long name is said as such', { timeout: 150_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'family', 'alice.bin', new Uint8Array(40_000).fill(7));
    await bobJoinsByInvite(bob, invite);
    await B.getByRole('heading', { name: 'Files' }).waitFor();

    // A name the tracker would refuse: said at once, in words.
    await dropFile(B, `${'n'.repeat(296)}.txt`, new Uint8Array(10).fill(1));
    await B.getByText('File names are at most 255 characters; this one has 300. Rename the file and share it again.').first().waitFor();

    await dropFile(B, 'bob-notes.txt', new Uint8Array(30_000).fill(3));
    const files = A.getByRole('list', { name: 'Shared files' });
    const bobRow = files.getByRole('listitem').filter({ hasText: 'bob-notes.txt' });
    await bobRow.waitFor({ timeout: 20_000 });
    // Who has it, in plain words: bob's tab holds every piece.
    await bobRow.getByText('1 person online has it').waitFor({ timeout: 20_000 });
    await files.getByRole('button', { name: 'Stop sharing alice.bin' }).waitFor();
    assert.equal(await bobRow.getByRole('button', { name: /Stop sharing/ }).count(), 0, 'not "Stop sharing" on a file someone else shares');

    await bobRow.getByRole('button', { name: 'Remove bob-notes.txt from group' }).click();
    const confirm = bobRow.getByRole('group', { name: 'Remove bob-notes.txt from group?' });
    await confirm.getByText('Remove bob-notes.txt from the group for everyone? bob can share it again.').waitFor();
    await A.screenshot({ path: screenshotPath('remove-from-group.png') });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await bobRow.getByRole('button', { name: 'Remove bob-notes.txt from group' }).waitFor();
    assert.equal(await files.getByText('bob-notes.txt').count(), 1, 'Cancel keeps the file');

    await bobRow.getByRole('button', { name: 'Remove bob-notes.txt from group' }).click();
    await confirm.getByRole('button', { name: 'Yes, remove' }).click();
    await bobRow.waitFor({ state: 'detached', timeout: 15_000 });
    await B.getByRole('list', { name: 'Shared files' }).getByText('bob-notes.txt').waitFor({ state: 'detached', timeout: 15_000 });
    await B.getByRole('list', { name: 'Shared files' }).getByText('alice.bin').waitFor();
  });
  assertNoBrowserErrors(alice, bob);
});

test('with the tracker out of reach, Make invite link stays clickable and says so at once; it works once the tracker is back', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const proxy = await startProxy(t, Number(new URL(tracker.httpUrl).port));
  const alice = await launchPerson(t, 'alice', { allowErrors: ['WebSocket connection to'] });
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`http://127.0.0.1:${proxy.port}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'photos');
    const panel = A.getByRole('region', { name: 'Invite link' });
    proxy.cut();
    await A.getByText(/Reconnecting/).first().waitFor();
    const make = panel.getByRole('button', { name: 'Make invite link' });
    await make.click();
    await panel.getByText("Can't reach the tracker right now. Make invite link will work once it is back.").waitFor({ timeout: 5000 });
    assert.equal(await make.isEnabled(), true, 'not greyed out');
    proxy.heal();
    await panel.getByText("Can't reach the tracker right now.", { exact: false }).waitFor({ state: 'detached', timeout: 30_000 });
    await make.click();
    await panel.getByRole('button', { name: 'Copy link' }).waitFor();
  });
  assertNoBrowserErrors(alice);
});
