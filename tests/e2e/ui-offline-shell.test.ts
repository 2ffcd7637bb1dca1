/**
 * A link does not die with one tracker (issue 13, item 5). Three replicated
 * trackers, the way a self-hoster runs them: B and C accept pages of A's
 * origin (--allowed-origin). A person signs in through tracker A's page; the
 * service worker takes the page over; A is killed (-9); the reload still
 * opens the app (from the service worker's cached shell, not the browser's
 * "This site can't be reached"), which dials the trackers it heard of in
 * hello and is connected and signed in through another one, the group there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, eventually, spawnTracker, startTestTracker, tempDir } from '../helpers/tracker.ts';
import { freePort } from '../helpers/proxy.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';

test('after the tracker that served the page is killed, a reload opens the app from the service worker and signs in through another tracker', { timeout: 180_000 }, async (t) => {
  const secret = 'ui-offline-shell-secret';
  const portA = await freePort();
  const originA = `http://127.0.0.1:${portA}`;
  // What a self-hoster configures: each tracker lets the other trackers' pages open /ws.
  const b = await startTestTracker(t, { trackerId: 'test-b', secret, allowedOrigins: [originA] });
  const c = await startTestTracker(t, { trackerId: 'test-c', secret, allowedOrigins: [originA], peers: [b.httpUrl] });
  const a = await spawnTracker(t, [
    // Named as the in-process test trackers are (after its id): the status shows a tracker's --name.
    '--port', String(portA), '--tracker-id', 'test-a', '--name', 'test-a', '--secret', secret,
    '--data-dir', await tempDir(t), '--peer', b.httpUrl, '--peer', c.httpUrl,
  ]);
  // Linked: a client of A learns B's and C's addresses from A's hello.
  await eventually(async () => {
    const probe = await connectClient(t, a.wsUrl);
    probe.close();
    assert.ok(probe.knownTrackers.includes(b.wsUrl) && probe.knownTrackers.includes(c.wsUrl), probe.knownTrackers.join(' '));
  }, 30_000, 200);

  // While A is gone the browser logs its failed attempts to reach A: expected here.
  const gus = await launchPerson(t, 'gus', { allowErrors: ['WebSocket connection to', 'net::ERR_CONNECTION_REFUSED'] });
  const page = gus.page;
  await withBrowserErrors([gus], async () => {
    await gus.open(`${a.httpUrl}/`);
    await signUp(page, 'gus', 'guspw123');
    await createGroup(page, 'holiday');
    const status = page.getByRole('status').filter({ hasText: /Connected to|Reconnecting|Connecting/ });
    await status.filter({ hasText: 'Connected to test-a' }).waitFor();
    // The service worker installed its shell and controls this page.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

    // What the worker keeps is the shell alone: asking for the tracker's live answers caches none of them.
    await page.evaluate(async () => { await fetch('/healthz'); await fetch('/metrics'); });
    const cached = await page.evaluate(async () => {
      const paths: string[] = [];
      for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) paths.push(new URL(r.url).pathname);
      return paths;
    });
    assert.ok(cached.includes('/index.html') && cached.some((p) => p.startsWith('/assets/main-')), cached.join(' '));
    for (const live of ['/ws', '/metrics', '/healthz', '/']) assert.ok(!cached.includes(live), `${live} is not cached`);

    a.process.kill('SIGKILL');
    await a.exited;
    await page.reload({ waitUntil: 'load' });

    // The app, not the browser's error page, connected through B or C and still signed in.
    await status.filter({ hasText: /Connected to test-[bc]/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('list').getByRole('link', { name: 'holiday' }).waitFor();
    assert.equal(new URL(page.url()).origin, originA);
  });
  assertNoBrowserErrors(gus);
});
