/**
 * Links people hand on name the tracker's public address: with --public-url,
 * the owner's page opened through 127.0.0.1 still shows a group link, an
 * invite link and QR codes on the public URL, not on the address the owner
 * happened to type. Without --public-url, the page's own origin, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, signUp } from '../helpers/ui.ts';

test('the group link, the invite link and their QR codes are built from --public-url', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t, { publicUrls: ['wss://drop.example.org/ws'] });
  const alice = await launchPerson(t, 'alice');
  const A = alice.page;
  await allowClipboard(alice, tracker.httpUrl);
  assert.match(tracker.httpUrl, /^http:\/\/127\.0\.0\.1:/);

  await withBrowserErrors([alice], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'band');

    const linkPanel = A.getByRole('region', { name: 'Group link' });
    assert.equal(await linkPanel.getByRole('textbox', { name: 'Group link' }).inputValue(), 'https://drop.example.org/g/band');
    await linkPanel.getByRole('button', { name: 'QR code' }).click();
    await linkPanel.getByRole('img', { name: 'QR code of group link: https://drop.example.org/g/band' }).waitFor();

    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    const invite = await copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));
    assert.match(invite, /^https:\/\/drop\.example\.org\/g\/band\?invite=[A-Za-z0-9_-]{16,64}$/);
    await invitePanel.getByRole('button', { name: 'QR code' }).click();
    await invitePanel.getByRole('img', { name: `QR code of invite link: ${invite}` }).waitFor();
  });
  assertNoBrowserErrors(alice);
});

test('without --public-url the group link is on the page\'s origin', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'band');
    const linkPanel = A.getByRole('region', { name: 'Group link' });
    assert.equal(await linkPanel.getByRole('textbox', { name: 'Group link' }).inputValue(), `${tracker.httpUrl}/g/band`);
  });
  assertNoBrowserErrors(alice);
});
