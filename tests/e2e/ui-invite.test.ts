/**
 * Invite links through the app, in real Chromium against a real tracker: an
 * owner makes one, C opens it, signs up and is a member at once without
 * approval; an expired one admits nobody and says why in words; a request
 * the owner rejects is answered in words too.
 */
import { screenshotPath } from '../helpers/screenshots.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, signUp } from '../helpers/ui.ts';

test('an invite link admits without approval; an expired one does not', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const carol = await launchPerson(t, 'carol');
  const dave = await launchPerson(t, 'dave');
  const A = alice.page;
  const C = carol.page;
  const D = dave.page;
  await allowClipboard(alice, tracker.httpUrl);

  await withBrowserErrors([alice, carol, dave], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'band');

    // The default invite: 7 days.
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    assert.equal(await invitePanel.getByRole('spinbutton', { name: 'How long' }).inputValue(), '7');
    assert.equal(await invitePanel.getByRole('combobox', { name: 'Unit' }).inputValue(), 'days');
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    const invite = await copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));
    assert.match(invite, new RegExp(`^${tracker.httpUrl}/g/band\\?invite=[A-Za-z0-9_-]{16,64}$`));
    await invitePanel.getByRole('button', { name: 'QR code' }).click();
    await invitePanel.getByRole('img', { name: /QR code of invite link/ }).waitFor();
    await A.screenshot({ path: screenshotPath('invite.png'), fullPage: true });

    // C opens it, signs up, and joins with one click: no request, no approval.
    await carol.open(invite);
    await C.getByText('You have an invite to the group').waitFor();
    await signUp(C, 'carol', 'carolpw1');
    await C.getByRole('button', { name: 'Join with invite' }).click();
    await C.getByRole('heading', { name: 'Files' }).waitFor();
    await C.getByRole('region', { name: 'Members' }).getByText('carol (you)').waitFor();
    assert.equal(new URL(C.url()).search, '', 'the used code leaves the address bar');
    await A.getByRole('region', { name: 'Members' }).getByText('carol').waitFor();
    assert.equal(await A.getByRole('button', { name: /^Accept/ }).count(), 0, 'nothing for the owner to approve');

    // An invite that works for one second, used after it expired.
    await invitePanel.getByRole('spinbutton', { name: 'How long' }).fill('1');
    await invitePanel.getByRole('combobox', { name: 'Unit' }).selectOption('seconds');
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    await invitePanel.getByText(/^Expires /).waitFor();
    const expired = await invitePanel.getByRole('textbox', { name: 'Invite link' }).inputValue();
    assert.notEqual(expired, invite);
    await A.waitForTimeout(1500);

    await dave.open(expired);
    await signUp(D, 'dave', 'davepw12');
    await D.getByRole('button', { name: 'Join with invite' }).click();
    await D.getByRole('alert').filter({ hasText: 'This invite link has expired. Ask the owner for a new one, or ask to join.' }).waitFor();
    assert.equal(await D.getByRole('heading', { name: 'Files' }).count(), 0, 'dave is not in');
    // Asking is still one click away, and goes to the owner.
    await D.getByRole('button', { name: 'Ask to join' }).click();
    await D.getByRole('heading', { name: 'Waiting for the owner' }).waitFor();
    // The owner turns it down: dave is told in words, and may ask again.
    await A.getByRole('button', { name: 'Reject dave' }).click();
    await D.getByText('The owner of band turned down your request.').waitFor();
    await D.getByText('The owner turned down your last request. You can ask again.').waitFor();
    assert.equal(await D.getByRole('heading', { name: 'Files' }).count(), 0);

    // The invite form refuses what the tracker would refuse, in words.
    await invitePanel.getByRole('spinbutton', { name: 'How long' }).fill('31');
    await invitePanel.getByRole('combobox', { name: 'Unit' }).selectOption('days');
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    await invitePanel.getByRole('alert').filter({ hasText: 'An invite link can work for at most 30 days.' }).waitFor();
  });
  assertNoBrowserErrors(alice, carol, dave);
});
