/**
 * Speed limits are kept per user in this browser: set, then a reload, shows
 * them again and they still hold the download back; signing out and in as
 * someone else shows that person's own (none); signing back in restores the
 * first person's. The page says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { signUp } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';

async function openLimits(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
  await page.getByText('Speed limits').click();
}
const downLimit = (page: Page) => page.getByRole('spinbutton', { name: 'Download limit in KB/s' });
const upLimit = (page: Page) => page.getByRole('spinbutton', { name: 'Upload limit in KB/s' });

test('speed limits are kept per user across reloads and sign-ins', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(4 * 1024 * 1024);

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'films', 'reel.bin', original);

    await bobJoinsByInvite(bob, invite);
    await B.getByRole('button', { name: 'Download reel.bin' }).waitFor();

    await openLimits(B);
    await B.getByText('Limits are kept for your account in this browser, across reloads.').waitFor();
    await downLimit(B).fill('150');
    await upLimit(B).fill('70');
    await B.getByRole('button', { name: 'Apply' }).click();
    await B.getByText('Applied').waitFor();

    // A reload: the limits are shown as they were, and they hold the download back.
    await B.reload();
    await B.getByRole('button', { name: 'Sign out' }).waitFor();
    await openLimits(B);
    assert.equal(await downLimit(B).inputValue(), '150');
    assert.equal(await upLimit(B).inputValue(), '70');
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await B.getByRole('link', { name: 'films' }).first().click();
    await B.getByRole('button', { name: 'Download reel.bin' }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'reel.bin in films' });
    await card.getByText(/^done [1-9]/).waitFor({ timeout: 60_000 });
    // 4 MiB at 150 KB/s takes ~27 s: still running once a first piece is in.
    assert.equal(await card.getByText('Complete').count(), 0, 'the kept limit holds the download back');
    await card.getByRole('button', { name: 'Pause reel.bin' }).click();
    await card.getByText('Paused').waitFor();

    // Another person in the same browser has their own limits (none).
    await B.getByRole('button', { name: 'Sign out' }).click();
    await signUp(B, 'carol', 'carolpw1');
    await openLimits(B);
    assert.equal(await downLimit(B).inputValue(), '');
    assert.equal(await upLimit(B).inputValue(), '');
    await B.getByRole('button', { name: 'Sign out' }).click();

    // Bob signs in again: his are back.
    await B.getByRole('tab', { name: 'Sign in' }).click();
    await B.getByLabel('User name').fill('bob');
    await B.getByLabel('Password').fill('builder!');
    await B.getByRole('button', { name: 'Sign in' }).click();
    await B.getByRole('button', { name: 'Sign out' }).waitFor();
    await openLimits(B);
    assert.equal(await downLimit(B).inputValue(), '150');
    assert.equal(await upLimit(B).inputValue(), '70');
  });
  assertNoBrowserErrors(alice, bob);
});
