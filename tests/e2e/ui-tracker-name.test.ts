/**
 * The tracker is shown by the name its operator gave it (issue 13 item 14),
 * in real Chromium against two real tracker processes linked in a mesh: one
 * named with `--name`, the other with MESHDROP_NAME. The status says
 * "Connected to Home office", never the tracker's id; the tracker list under
 * it names each tracker the tab has reached; after the first is killed
 * (kill -9) the tab moves on and says "Connected to Backup in Lyon", and the
 * list still names both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, eventually, spawnTracker, tempDir } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { signUp } from '../helpers/ui.ts';
import { screenshotPath } from '../helpers/screenshots.ts';

test('the status and the tracker list show each tracker by its operator\'s name, across a failover', { timeout: 150_000 }, async (t) => {
  const secret = 'ui-tracker-name-secret';
  const b = await spawnTracker(t, ['--port', '0', '--data-dir', await tempDir(t), '--secret', secret, '--tracker-id', 'tb-91x'], { MESHDROP_NAME: 'Backup in Lyon' });
  const a = await spawnTracker(t, [
    '--port', '0', '--data-dir', await tempDir(t), '--secret', secret, '--tracker-id', 'ta-47q',
    '--peer', `ws://127.0.0.1:${b.port}`, '--name', 'Home office',
  ]);
  await eventually(async () => {
    const probe = await connectClient(t, a.wsUrl);
    probe.close();
    assert.ok(probe.knownTrackers.includes(b.wsUrl));
  }, 30_000, 200);

  // While A is gone, the browser logs its failed reconnection attempts to A: expected here.
  const fay = await launchPerson(t, 'fay', { allowErrors: ['WebSocket connection to'] });
  const page = fay.page;
  await withBrowserErrors([fay], async () => {
    await fay.open(`${a.httpUrl}/`);
    await signUp(page, 'fay', 'faypw123');
    const status = page.getByRole('status').filter({ hasText: /Connected to|Reconnecting|Connecting/ });
    await status.filter({ hasText: 'Connected to Home office' }).waitFor();
    assert.ok(!(await status.textContent())!.includes('ta-47q'), 'never the tracker id');

    // The list under the status: the tracker reached, by name, and the one its hello listed.
    await status.click();
    const list = page.getByRole('list', { name: 'Trackers' });
    await list.getByRole('listitem').filter({ hasText: 'Home office' }).filter({ hasText: 'connected' }).waitFor();
    await list.getByRole('listitem').filter({ hasText: b.wsUrl }).waitFor();
    await page.screenshot({ path: screenshotPath('tracker-list.png') });
    await status.click();

    a.process.kill('SIGKILL');
    await status.filter({ hasText: 'Connected to Backup in Lyon' }).waitFor({ timeout: 45_000 });
    await status.filter({ hasText: '(switched trackers once)' }).waitFor();
    assert.ok(!(await status.textContent())!.includes('tb-91x'), 'never the tracker id');
    await status.click();
    await list.getByRole('listitem').filter({ hasText: 'Backup in Lyon' }).filter({ hasText: 'connected' }).waitFor();
    const home = list.getByRole('listitem').filter({ hasText: 'Home office' });
    await home.waitFor();
    assert.ok(!(await home.textContent())!.includes('connected'), 'the killed tracker is listed by name, not as connected');
  });
  assertNoBrowserErrors(fay);
});
