/**
 * Saying when a file is unavailable, and why (issue 13 item 2), in real
 * Chromium with real WebRTC: a file whose only holder closed her tab says so
 * on the group page, its Download button says it starts when she is back, and
 * it does; a download whose only seeder left mid-way stops showing a speed,
 * a countdown and pieces "in flight", says it is waiting, and completes by
 * itself, byte-exact, when the seeder returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors, type Person } from '../helpers/browser.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';

const WAITING = 'waiting: nobody online has the rest of this file';

/** Alice shares `bytes` as reel.bin in "films"; bob joins with an invite and sees it listed. */
async function aliceSharesBobJoins(httpUrl: string, alice: Person, bob: Person, bytes: Uint8Array): Promise<void> {
  const invite = await aliceSharesWithInvite(httpUrl, alice, 'films', 'reel.bin', bytes);
  await bobJoinsByInvite(bob, invite);
  await bob.page.getByRole('list', { name: 'Shared files' }).getByText('1 person online has it').waitFor({ timeout: 20_000 });
}

/** Alice comes back: a new tab of her browser (same profile), which signs in again and seeds from what it stored. */
async function aliceReturns(httpUrl: string, alice: Person): Promise<Page> {
  const page = await alice.context.newPage();
  await page.goto(`${httpUrl}/`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

async function saveAndCompare(B: Page, original: Uint8Array): Promise<void> {
  const card = B.getByRole('article', { name: 'reel.bin in films' });
  await card.getByText('Complete').waitFor({ timeout: 90_000 });
  const saved = await saveDownload(B, card.getByRole('button', { name: 'Save reel.bin', exact: true }));
  assert.equal(saved.bytes.length, original.length);
  assert.equal(sha1(saved.bytes), sha1(original));
}

test('a file nobody online holds says so, who shared it and when it was last online; its download starts when she is back', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const original = randomBytes(1536 * 1024 + 7);
  const B = bob.page;

  await withBrowserErrors([alice, bob], async () => {
    await aliceSharesBobJoins(tracker.httpUrl, alice, bob, original);
    await alice.page.close();

    const row = B.getByRole('list', { name: 'Shared files' }).getByRole('listitem').filter({ hasText: 'reel.bin' });
    await row.getByText('nobody online has it').waitFor({ timeout: 20_000 });
    assert.equal(
      (await row.getByTestId('file-unavailable').textContent())?.trim(),
      'Unavailable: nobody who has it is online. Shared by alice just now; last online just now.',
    );
    const later = row.getByRole('button', { name: 'Download reel.bin when someone who has it is back online' });
    assert.equal((await later.textContent())?.trim(), 'Download when it is back online');
    await later.click();

    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'reel.bin in films' });
    await card.getByText(WAITING).waitFor({ timeout: 20_000 });

    await aliceReturns(tracker.httpUrl, alice);
    await saveAndCompare(B, original);
  });
  assertNoBrowserErrors(alice, bob);
});

test('a download whose only seeder left says it is waiting, with no speed, countdown or pieces in flight, and completes when she returns', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const original = randomBytes(4 * 1024 * 1024 + 11);
  const B = bob.page;

  await withBrowserErrors([alice, bob], async () => {
    await aliceSharesBobJoins(tracker.httpUrl, alice, bob, original);
    // Slow, so alice can leave mid-way.
    const card = await downloadUnderLimit(B, 'films', 'reel.bin', 200);
    await card.locator('[data-testid="peer-row"][data-user="alice"]').waitFor({ timeout: 60_000 });
    await card.getByText(/arriving [1-9]/).waitFor();

    // Alice's browser tab closes mid-download.
    await alice.page.close();
    await card.getByText(WAITING).waitFor({ timeout: 30_000 });
    const meta = (await card.locator('p.meta').textContent()) ?? '';
    assert.doesNotMatch(meta, /\/s|left|waiting for peers/, `no speed nor countdown while waiting: ${meta}`);
    assert.match((await card.getByRole('figure', { name: 'Piece map' }).textContent()) ?? '', /arriving 0\b/);
    assert.equal((await card.locator('.badge').textContent())?.trim(), 'Waiting');
    assert.equal(await card.getByTestId('peer-row').count(), 0, 'nobody listed as sending');

    await aliceReturns(tracker.httpUrl, alice);
    await saveAndCompare(B, original);
  });
  assertNoBrowserErrors(alice, bob);
});
