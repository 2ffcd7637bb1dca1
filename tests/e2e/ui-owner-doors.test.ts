/**
 * The owner's doors through the app, in real Chromium against a real
 * tracker: the owner sees the invite links that still work and revokes one
 * (it then admits nobody, and says so); the owner removes a member, whose tab
 * drops the group at once, and the link they came in by does not bring them
 * back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';

test('the owner revokes an invite link and removes a member; old links stay shut to them', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const carol = await launchPerson(t, 'carol');
  const dave = await launchPerson(t, 'dave');
  const A = alice.page;
  const C = carol.page;
  const D = dave.page;

  await withBrowserErrors([alice, carol, dave], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'band');
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    const links = invitePanel.getByRole('list', { name: 'Working invite links' });

    // Two links: carol comes in by the first; the second is revoked before dave uses it.
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    await links.getByRole('listitem').first().waitFor();
    const first = await invitePanel.getByRole('textbox', { name: 'Invite link' }).inputValue();
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    await links.getByRole('listitem').nth(1).waitFor();
    const second = await invitePanel.getByRole('textbox', { name: 'Invite link' }).inputValue();
    assert.notEqual(first, second);
    assert.equal(await links.getByRole('listitem').count(), 2);
    assert.ok(!(await links.innerText()).includes(new URL(second).searchParams.get('invite')!), 'the list never shows a link\'s code');

    await carol.open(first);
    await signUp(C, 'carol', 'carolpw1');
    await C.getByRole('button', { name: 'Join with invite' }).click();
    await C.getByRole('heading', { name: 'Files' }).waitFor();

    // Revoke the newer link (the last in the list): it leaves the list, and the link just shown goes too.
    await links.getByRole('button', { name: /^Revoke invite/ }).last().click();
    await A.waitForFunction(() => document.querySelectorAll('[aria-label="Working invite links"] li').length === 1);
    assert.equal(await invitePanel.getByRole('textbox', { name: 'Invite link' }).count(), 0, 'no dead link left on screen to copy');
    await dave.open(second);
    await signUp(D, 'dave', 'davepw12');
    await D.getByRole('button', { name: 'Join with invite' }).click();
    await D.getByRole('alert').filter({ hasText: 'This invite link is not valid for this group.' }).waitFor();
    assert.equal(await D.getByRole('heading', { name: 'Files' }).count(), 0, 'dave is not in');

    // Remove carol: two clicks; her tab drops the group at once.
    const members = A.getByRole('region', { name: 'Members' });
    await members.getByRole('button', { name: 'Remove carol' }).click();
    await members.getByRole('button', { name: 'Yes, remove carol' }).click();
    await A.waitForFunction(() => !document.querySelector('[aria-labelledby="members-h"]')?.textContent?.includes('carol'));
    await C.getByRole('button', { name: 'Ask to join' }).waitFor();
    assert.equal(await C.getByRole('heading', { name: 'Files' }).count(), 0, 'carol is out');

    // The link she came in by does not bring her back, and says why.
    await carol.open(first);
    await C.getByRole('button', { name: 'Join with invite' }).click();
    await C.getByRole('alert').filter({ hasText: 'This invite was made before you left this group' }).waitFor();
    assert.equal(await C.getByRole('heading', { name: 'Files' }).count(), 0);
  });
  assertNoBrowserErrors(alice, carol, dave);
});
