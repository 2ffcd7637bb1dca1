/**
 * Failover is visible and needs no action: a tab on tracker A of a two-tracker
 * mesh (real trackers, built-in links, real Chromium) loses A, moves to B on
 * its own, resumes the session, and the status indicator names the new
 * tracker and counts the move.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { connectClient } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';

test('the status indicator shows a failover to the other tracker, and the session carries on', { timeout: 120_000 }, async (t) => {
  const secret = 'ui-failover-secret';
  const b = await startTestTracker(t, { trackerId: 'test-b', secret });
  const a = await startTestTracker(t, { trackerId: 'test-a', secret, peers: [b.wsUrl.replace(/\/ws$/, '')] });
  // Linked: a client of A learns B's address from A's hello.
  await eventually(async () => {
    const probe = await connectClient(t, a.wsUrl);
    probe.close();
    assert.ok(probe.knownTrackers.includes(b.wsUrl));
  }, 20_000, 200);

  // While A is gone, the browser logs its failed reconnection attempts to A: expected here.
  const fay = await launchPerson(t, 'fay', { allowErrors: ['WebSocket connection to'] });
  const page = fay.page;
  await withBrowserErrors([fay], async () => {
    await fay.open(`${a.httpUrl}/`);
    await signUp(page, 'fay', 'faypw123');
    await createGroup(page, 'relay');
    const status = page.getByRole('status').filter({ hasText: /Connected to|Reconnecting|Connecting/ });
    await status.filter({ hasText: 'Connected to test-a' }).waitFor();

    await a.close();
    await status.filter({ hasText: 'Connected to test-b' }).waitFor({ timeout: 30_000 });
    await status.filter({ hasText: '(switched trackers once)' }).waitFor();
    // Still signed in on B, with the group the mesh replicated.
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('list').getByRole('link', { name: 'relay' }).waitFor();
    assert.equal(await page.getByText('Lost the connection to the tracker').count(), 0);
  });
  assertNoBrowserErrors(fay);
});
