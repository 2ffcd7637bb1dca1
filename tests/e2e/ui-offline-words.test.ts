/**
 * Form words through the app, in real Chromium against a real tracker behind
 * a real TCP proxy (issue 13 item 12): a name longer than the limit says so
 * as it is typed instead of being cut; a form's error goes when its input
 * changes; with the tracker unreachable, Create group says so at once and
 * that it will work once the tracker is back, and the words go when it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { startProxy } from '../helpers/proxy.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';

test('long names said, stale errors cleared, offline said at once and cleared on return', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const proxy = await startProxy(t, Number(new URL(tracker.httpUrl).port));
  // While the proxy is cut, the browser logs its failed reconnection attempts: expected here.
  const alice = await launchPerson(t, 'alice', { allowErrors: ['WebSocket connection to'] });
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`http://127.0.0.1:${proxy.port}/`);
    await signUp(A, 'alice', 'wonderland');
    await A.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    const form = A.getByRole('form', { name: 'Create a group' });
    const name = form.getByPlaceholder('group name');

    // Too long: said as typed, nothing cut.
    const long = 'a'.repeat(40);
    await name.pressSequentially(long);
    assert.equal(await name.inputValue(), long);
    await form.getByText('Group names are at most 32 characters; this one has 40.').waitFor();
    await name.fill('');
    assert.equal(await form.getByRole('alert').count(), 0);

    // A refused name's error goes as soon as the name changes.
    await name.pressSequentially('bad name');
    await form.getByRole('button', { name: 'Create group' }).click();
    await form.getByRole('alert').waitFor();
    await name.press('End');
    await name.press('Backspace');
    assert.equal(await form.getByRole('alert').count(), 0);

    // Offline: said at once (well before the 15 s a request may wait), and gone once the tracker is back.
    await name.fill('');
    await name.pressSequentially('photos');
    proxy.cut();
    await A.getByText(/Reconnecting/).first().waitFor();
    await form.getByRole('button', { name: 'Create group' }).click();
    await form.getByText("Can't reach the tracker right now. Create group will work once it is back.").waitFor({ timeout: 5000 });
    proxy.heal();
    await form.getByText("Can't reach the tracker right now.", { exact: false }).waitFor({ state: 'detached', timeout: 30_000 });
    await form.getByRole('button', { name: 'Create group' }).click();
    await A.getByRole('heading', { name: 'photos', level: 1 }).waitFor();
  });
  assertNoBrowserErrors(alice);
});

test('Ask to join while the tracker is out of reach is said at once, and works once it is back', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const proxy = await startProxy(t, Number(new URL(tracker.httpUrl).port));
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob', { allowErrors: ['WebSocket connection to'] });
  const B = bob.page;
  await withBrowserErrors([alice, bob], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(alice.page, 'alice', 'wonderland');
    await createGroup(alice.page, 'photos');
    await bob.open(`http://127.0.0.1:${proxy.port}/g/photos`);
    await signUp(B, 'bob', 'builder!');
    const join = B.getByRole('region', { name: 'Join' });
    await join.getByRole('button', { name: 'Ask to join' }).waitFor();
    proxy.cut();
    await B.getByText(/Reconnecting/).first().waitFor();
    await join.getByRole('button', { name: 'Ask to join' }).click();
    await join.getByText("Can't reach the tracker right now. Ask to join will work once it is back.").waitFor({ timeout: 5000 });
    proxy.heal();
    await join.getByText("Can't reach the tracker right now.", { exact: false }).waitFor({ state: 'detached', timeout: 30_000 });
    await join.getByRole('button', { name: 'Ask to join' }).click();
    await B.getByRole('heading', { name: 'Waiting for the owner' }).waitFor();
  });
  assertNoBrowserErrors(alice, bob);
});
