/**
 * My sessions in the app (issue 8, item 9), in real Chromium against a real
 * tracker: Alice signed in on two browsers sees both in the header's
 * Sessions panel, this one marked, and "Sign out everywhere" signs out both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { signUp } from '../helpers/ui.ts';

test('the Sessions panel lists my browsers, and sign out everywhere ends them all', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const laptop = await launchPerson(t, 'alice-laptop');
  const phone = await launchPerson(t, 'alice-phone');
  const L = laptop.page;
  const P = phone.page;

  await withBrowserErrors([laptop, phone], async () => {
    await laptop.open(`${tracker.httpUrl}/`);
    await signUp(L, 'alice', 'wonderland');
    await phone.open(`${tracker.httpUrl}/`);
    await P.getByRole('tab', { name: 'Sign in' }).click();
    await P.getByLabel('User name').fill('alice');
    await P.getByLabel('Password').fill('wonderland');
    await P.getByRole('form', { name: 'Sign in' }).getByRole('button', { name: 'Sign in' }).click();
    await P.getByRole('button', { name: 'Sessions' }).waitFor();

    await L.getByRole('button', { name: 'Sessions' }).click();
    const panel = L.getByRole('region', { name: 'Your sessions' });
    await panel.getByText('This browser').waitFor();
    assert.equal(await panel.getByRole('listitem').count(), 2, 'both browsers are listed');
    assert.equal(await panel.getByRole('button', { name: 'Sign out', exact: true }).count(), 1, 'the other one can be signed out');

    await panel.getByRole('button', { name: 'Sign out everywhere' }).click();
    await L.getByRole('tab', { name: 'Create account' }).waitFor();
    // The phone, on its own, is signed out too and told so.
    await P.getByRole('tab', { name: 'Sign in' }).waitFor();
    await P.getByText(/You were signed out/).waitFor();
  });
});
