/**
 * The downloads page's controls in real Chromium with real WebRTC: a speed
 * limit holds a download back, pause stops it where it is, resume carries on,
 * lifting the limit lets it finish, and the saved file is byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';

test('speed limit, pause, resume, then complete and save', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(6 * 1024 * 1024 + 3);

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'films', 'reel.bin', original);

    await bobJoinsByInvite(bob, invite);

    // A limit first, so the download is slow enough to pause by hand.
    const card = await downloadUnderLimit(B, 'films', 'reel.bin', 200);
    await card.getByText('Downloading').waitFor();
    await card.getByText(/^done [1-9]/).waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Pause reel.bin' }).click();
    await card.getByText('Paused').waitFor();
    // Paused means nothing more arrives.
    const meta = card.locator('p.meta');
    const held = await meta.textContent();
    await B.waitForTimeout(1500);
    assert.equal(await meta.textContent(), held);
    assert.equal(await card.getByRole('button', { name: 'Resume reel.bin' }).count(), 1);

    // Resume, lift the limit, and it finishes.
    await card.getByRole('button', { name: 'Resume reel.bin' }).click();
    await card.getByText('Downloading').waitFor();
    await B.getByText('Speed limits').click();
    // The limit set earlier is shown as it is.
    assert.equal(await B.getByRole('spinbutton', { name: 'Download limit in KB/s' }).inputValue(), '200');
    await B.getByRole('spinbutton', { name: 'Download limit in KB/s' }).fill('');
    await B.getByRole('button', { name: 'Apply' }).click();
    await card.getByText('Complete').waitFor({ timeout: 90_000 });
    const saved = await saveDownload(B, card.getByRole('button', { name: 'Save reel.bin', exact: true }));
    assert.equal(sha1(saved.bytes), sha1(original));
  });
  assertNoBrowserErrors(alice, bob);
});
