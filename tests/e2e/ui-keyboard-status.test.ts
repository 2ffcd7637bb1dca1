/**
 * Quality a person relies on, in real Chromium against a real tracker: the
 * app works by keyboard alone at phone width in the dark theme; the session
 * survives a reload; when the tracker goes away the status says so, and when
 * it is back the tab reconnects and resumes on its own.
 */
import { screenshotPath } from '../helpers/screenshots.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker, tempDir } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { tabTo } from '../helpers/ui.ts';

test('keyboard only, phone width, dark theme; reload keeps the session; tracker loss shows and heals', { timeout: 120_000 }, async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await startTestTracker(t, { dataDir });
  // The browser sees "WebSocket connection failed" while the tracker is down: the error the test causes on purpose.
  const erin = await launchPerson(t, 'erin', { allowErrors: ['WebSocket connection to'] });
  const page = erin.page;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });

  await withBrowserErrors([erin], async () => {
    await erin.open(`${tracker.httpUrl}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // Sign up by keyboard.
    await tabTo(page, 'Create account');
    await page.keyboard.press('Enter');
    await tabTo(page, 'User name');
    await page.keyboard.type('erin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('erinpw12');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // Create a group by keyboard: it opens.
    await tabTo(page, 'Create a group');
    await page.keyboard.type('keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'keys', level: 1 }).waitFor();

    // The console opens with Ctrl+`, runs a command, and Esc gives the focus back.
    await page.keyboard.press('Control+Backquote');
    await page.keyboard.type('list_groups');
    await page.keyboard.press('Enter');
    await page.getByRole('log', { name: 'Console output' }).getByText('keys  owner erin  1 member  you: owner').waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'console-toggle');

    // Dark theme follows the system, and nothing overflows the phone's width.
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, 'rgb(18, 20, 23)');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
    await page.screenshot({ path: screenshotPath('phone-dark.png'), fullPage: true });

    // A reload keeps the session.
    await page.reload();
    await page.getByRole('heading', { name: 'keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // The tracker goes away: the status says so, with no click needed...
    const status = page.getByRole('status').filter({ hasText: /Connected to|Reconnecting|Connecting|No tracker/ });
    await status.filter({ hasText: 'Connected to test-a' }).waitFor();
    const port = tracker.port;
    await tracker.close();
    await status.filter({ hasText: 'Reconnecting… (was test-a)' }).waitFor();
    await page.getByText('Lost the connection to the tracker test-a. Reconnecting… Transfers between browsers keep going.').waitFor();

    // ...and when it is back (same port, same data), the tab reconnects and resumes the session on its own.
    await startTestTracker(t, { dataDir, port });
    await status.filter({ hasText: 'Connected to test-a' }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByText('Lost the connection to the tracker').count(), 0, 'the banner goes when the tracker is back');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('list').getByRole('link', { name: 'keys' }).waitFor();
  });
  assertNoBrowserErrors(erin);
});
