/**
 * An empty file (0 bytes) through the app, in real Chromium against a real
 * tracker: the sharer drops it, a member sees it, downloads it (zero pieces:
 * complete at once, nobody to dial) and saves a 0-byte file of the same name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { saveDownload } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';

test('an empty file is shared, downloaded and saved as 0 bytes', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'notes', 'placeholder.txt', new Uint8Array(0));
    assert.equal(await A.getByText('Something you entered is not valid.').count(), 0);

    await bobJoinsByInvite(bob, invite);
    // Nothing to fetch means nothing to wait for: an empty file is never "unavailable".
    await B.getByRole('button', { name: 'Download placeholder.txt', exact: true }).waitFor();
    assert.equal(await B.getByTestId('file-unavailable').count(), 0);
    await B.getByRole('button', { name: 'Download placeholder.txt', exact: true }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'placeholder.txt in notes' });
    await card.getByText('Complete').waitFor();
    const saved = await saveDownload(B, card.getByRole('button', { name: 'Save placeholder.txt', exact: true }));
    assert.equal(saved.name, 'placeholder.txt');
    assert.equal(saved.bytes.length, 0);
  });
  assertNoBrowserErrors(alice, bob);
});
