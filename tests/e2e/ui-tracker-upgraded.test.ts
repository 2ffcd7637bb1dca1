/**
 * A tab left open while its tracker is upgraded to another protocol version,
 * in real Chromium: the tracker goes down and comes back on the same port
 * refusing this page's version (a real WebSocket server answering hello as a
 * tracker of the next version does). The tab stops trying and says the
 * tracker's words, instead of "Reconnecting…" for ever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { signUp } from '../helpers/ui.ts';
import { NEWER_TRACKER_WORDS, startOtherVersionTracker } from '../helpers/other-version-tracker.ts';

test('a tracker upgraded under an open tab: the tab says why it stopped, not "Reconnecting"', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  // While the tracker is down the browser logs its failed reconnection attempts: expected here.
  const alice = await launchPerson(t, 'alice', { allowErrors: ['WebSocket connection to'] });
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await A.getByText(/^Connected to /).first().waitFor();

    await tracker.close();
    const upgraded = await startOtherVersionTracker(t, { port: tracker.port });

    const banner = A.getByRole('status').filter({ hasText: 'cannot take this tab' });
    await banner.getByText(NEWER_TRACKER_WORDS, { exact: false }).waitFor({ timeout: 30_000 });
    assert.equal(await A.getByText(/Reconnecting/).count(), 0, 'no "Reconnecting…" once the tracker refused this version');
    await A.getByText(/speaks another version/).first().waitFor();
    const asked = upgraded.hellos();
    await A.waitForTimeout(1000);
    assert.equal(upgraded.hellos(), asked, 'the tab stopped asking');
  });
  assertNoBrowserErrors(alice);
});
