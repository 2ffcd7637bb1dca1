/**
 * The invite link's words say what it does, on both ends: the owner reads
 * that whoever opens it joins with one click, without approval; the invitee
 * reads, before and after signing in, that one click on "Join with invite"
 * joins (no waiting for the owner), and that click is all it takes. Opening
 * the link alone joins nobody: the invitee decides, signed in as the account
 * they mean to join with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, signUp } from '../helpers/ui.ts';

test('the invite link says it joins with one click, and one click joins', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const carol = await launchPerson(t, 'carol');
  const A = alice.page;
  const C = carol.page;
  await allowClipboard(alice, tracker.httpUrl);

  await withBrowserErrors([alice, carol], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'band');
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    await invitePanel.getByText('Whoever opens it can join with one click, without your approval, until it expires.').waitFor();
    assert.equal(await invitePanel.getByText(/joins at once/).count(), 0);
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    const invite = await copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));

    await carol.open(invite);
    await C.getByRole('note').filter({ hasText: 'then join it with one click' }).waitFor();
    await signUp(C, 'carol', 'carolpw1');
    const join = C.getByRole('region', { name: 'Join' });
    await join.getByText('Your invite lets you join band with one click, without waiting for the owner.').waitFor();
    // Signed in, but not joined until carol says so.
    assert.equal(await C.getByRole('heading', { name: 'Files' }).count(), 0);
    await join.getByRole('button', { name: 'Join with invite' }).click();
    await C.getByRole('heading', { name: 'Files' }).waitFor();
    await C.getByRole('region', { name: 'Members' }).getByText('carol (you)').waitFor();
  });
  assertNoBrowserErrors(alice, carol);
});
