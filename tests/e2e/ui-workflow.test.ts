/**
 * The seed's workflow through the web app, in real Chromium (one process per
 * person), against a real tracker, with real WebRTC between the two
 * browsers, by clicking and typing only:
 * A registers, creates a group, copies its link; B opens the link, signs up,
 * asks to join; A accepts; A drops a file in; B downloads it; the file B's
 * browser saves has the original's SHA-1; B's downloads page shows it
 * complete, and still does after a reload; removing it frees it. Takes the
 * screenshots in docs/.
 */
import { screenshotPath } from '../helpers/screenshots.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, dropFile, saveDownload, sha1, signUp } from '../helpers/ui.ts';

const shot = screenshotPath;

test('A shares a file with B through the app: link, request, accept, drop, download, save', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  await allowClipboard(alice, tracker.httpUrl);
  const original = randomBytes(12 * 1024 * 1024 + 12_345); // 25 pieces, the last one short

  await withBrowserErrors([alice, bob], async () => {
    // A registers and creates a group.
    await alice.open(`${tracker.httpUrl}/`);
    await A.getByRole('heading', { name: 'Sign in' }).waitFor();
    await A.screenshot({ path: shot('sign-in.png') });
    await signUp(A, 'alice', 'wonderland');
    await assert.doesNotReject(A.getByRole('status').filter({ hasText: 'Connected to test-a' }).waitFor());
    await createGroup(A, 'photos');

    // A copies the group's link.
    const link = await copyFrom(A, A.getByRole('button', { name: 'Copy link' }));
    assert.equal(link, `${tracker.httpUrl}/g/photos`);

    // B opens it, signs up, and lands on the group with "Ask to join" one click away.
    await bob.open(link);
    await B.getByText('You were sent a link to the group').waitFor();
    await signUp(B, 'bob', 'builder!');
    await B.getByRole('heading', { name: 'photos', level: 1 }).waitFor();
    await B.getByRole('button', { name: 'Ask to join' }).click();
    await B.getByRole('heading', { name: 'Waiting for the owner' }).waitFor();

    // A is told, and accepts.
    await A.getByText('bob asks to join photos.').waitFor();
    await A.getByRole('button', { name: 'Accept bob' }).click();
    await A.getByRole('region', { name: 'Members' }).getByText('bob').waitFor();

    // B is told, and sees the group's files.
    await B.getByText('You are now a member of photos.').first().waitFor();
    await B.getByRole('heading', { name: 'Files' }).waitFor();

    // A drops a file in: it is fingerprinted, then listed for both.
    await dropFile(A, 'beach.bin', original);
    await A.getByRole('list', { name: 'Shared files' }).getByText('beach.bin').waitFor();
    await A.getByText('shared', { exact: true }).waitFor();
    await A.screenshot({ path: shot('group-owner.png'), fullPage: true });

    // B downloads it with one click and follows it on the downloads page.
    const download = B.getByRole('button', { name: 'Download beach.bin' });
    await download.click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'beach.bin in photos' });
    await card.waitFor();
    // For the picture, catch it under way if we can (peers listed); a fast run may already be done.
    await card.getByRole('table').waitFor({ timeout: 10_000 }).catch(() => undefined);
    await B.screenshot({ path: shot('downloads.png'), fullPage: true });
    await card.getByText('Complete').waitFor({ timeout: 90_000 });

    // Saved to disk, byte for byte.
    const saved = await saveDownload(B, card.getByRole('button', { name: 'Save beach.bin', exact: true }));
    assert.equal(saved.name, 'beach.bin');
    assert.equal(saved.bytes.length, original.length);
    assert.equal(sha1(saved.bytes), sha1(original));

    // The session and the finished download survive a reload.
    await B.reload();
    await B.getByRole('button', { name: 'Sign out' }).waitFor();
    await B.getByRole('article', { name: 'beach.bin in photos' }).getByText('Complete').waitFor();
    assert.equal(await B.getByRole('button', { name: 'Sign in' }).count(), 0);

    // Remove asks first, then frees the space: the download is gone and the file can be fetched again.
    const again = B.getByRole('article', { name: 'beach.bin in photos' });
    await again.getByRole('button', { name: 'Remove beach.bin' }).click();
    await again.getByRole('button', { name: 'Yes, remove' }).click();
    await B.getByText('No downloads yet.').waitFor();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await B.getByRole('link', { name: 'photos' }).click();
    await B.getByRole('button', { name: 'Download beach.bin' }).waitFor();
  });
  assertNoBrowserErrors(alice, bob);
});
