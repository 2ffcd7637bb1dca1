/**
 * Clicking a notification (issue 13 item 15) opens the screen it is about,
 * in the tab already open, in real Chromium: the join request's opens the
 * group's page with the request on it; the finished download's opens the
 * Downloads page with that download. The tab's router moves there (the
 * service worker tells it, web/build/sw-body.js → web/src/ui/notify-open.ts):
 * no reload, so the tab's downloads and links carry on.
 *
 * The click itself: a headless browser shows notifications nowhere a test
 * can click, so the test reads the real notification from the worker's
 * registration (`getNotifications()`) and hands it to the worker's own
 * `notificationclick` listener as a NotificationEvent, as the browser does
 * on a click. What it cannot show: that the tab comes to the front. Browsers
 * let a worker focus a tab only during a click they dispatched themselves,
 * so here `focus()` is refused; the screen must change all the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Worker } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, dropFile, signUp } from '../helpers/ui.ts';
import { allowNotifications, waitForNotification } from '../helpers/notifications.ts';

async function appWorker(context: BrowserContext): Promise<Worker> {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate('globalThis.__name ??= (fn) => fn'); // tsx's keepNames, as in pages (helpers/browser.ts)
  return worker;
}

/** The click: the notification titled `title` goes to the worker's notificationclick listener; resolves when its work is done. */
function click(worker: Worker, title: string): Promise<string[]> {
  return worker.evaluate(async (t) => {
    const scope = self as unknown as ServiceWorkerGlobalScope;
    const notification = (await scope.registration.getNotifications()).find((n) => n.title === t);
    if (!notification) throw new Error(`no notification "${t}"`);
    const event = new NotificationEvent('notificationclick', { notification });
    // A script's event may not extend its own life (waitUntil refuses an untrusted event): keep the work here instead.
    let work: Promise<unknown> = Promise.resolve();
    Object.defineProperty(event, 'waitUntil', { value: (p: Promise<unknown>) => (work = p) });
    scope.dispatchEvent(event);
    await work;
    return (await scope.registration.getNotifications()).map((n) => n.title);
  }, title);
}

test('clicking a notification opens its screen in the open tab, without a reload: the group with the join request, the Downloads page with the download', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const carol = await launchPerson(t, 'carol');
  const A = alice.page;
  const C = carol.page;
  for (const p of [alice, carol]) await allowNotifications(p.context, tracker.httpUrl);
  await withBrowserErrors([alice, carol], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'family');
    await A.getByRole('region', { name: 'Join requests' }).getByRole('checkbox', { name: 'Notify me' }).check();
    await A.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    await A.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    await A.evaluate(() => ((window as { notReloaded?: boolean }).notReloaded = true));

    await carol.open(`${tracker.httpUrl}/g/family`);
    await signUp(C, 'carol', 'carolpw1');
    await C.getByRole('region', { name: 'Join' }).getByRole('button', { name: 'Ask to join' }).click();
    assert.deepEqual(await waitForNotification(A, 'carol asks to join family'), [{ title: 'carol asks to join family', body: 'Open the group to accept or reject.' }]);

    const left = await click(await appWorker(alice.context), 'carol asks to join family');
    assert.deepEqual(left, [], 'the clicked notification is closed');
    const requests = A.getByRole('region', { name: 'Join requests' });
    await requests.getByRole('button', { name: 'Accept carol' }).waitFor();
    assert.equal(new URL(A.url()).pathname, '/g/family');
    assert.equal(await A.evaluate(() => (window as { notReloaded?: boolean }).notReloaded), true, 'the same page, not reloaded');

    // A download's notification, for carol, who looks at the group page when it finishes.
    await requests.getByRole('button', { name: 'Accept carol' }).click();
    await dropFile(A, 'notes.bin', new Uint8Array(300_000).fill(7));
    await A.getByRole('button', { name: 'Stop sharing notes.bin' }).waitFor();
    await C.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    await C.getByRole('checkbox', { name: 'Notify me' }).check();
    await C.goBack();
    await C.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    await C.evaluate(() => ((window as { notReloaded?: boolean }).notReloaded = true));
    await C.getByRole('button', { name: 'Download notes.bin' }).click();
    assert.deepEqual(await waitForNotification(C, 'notes.bin is downloaded'), [{ title: 'notes.bin is downloaded', body: 'Save it from the Downloads page.' }]);
    await click(await appWorker(carol.context), 'notes.bin is downloaded');
    await C.getByRole('article', { name: 'notes.bin in family' }).getByRole('button', { name: 'Save notes.bin', exact: true }).waitFor();
    assert.equal(new URL(C.url()).pathname, '/downloads');
    assert.equal(await C.evaluate(() => (window as { notReloaded?: boolean }).notReloaded), true, 'the same page, not reloaded');

    // A notification naming another site ("//elsewhere.example/…" starts with a slash) opens the app's start page.
    await A.evaluate(async () => (await navigator.serviceWorker.ready).showNotification('elsewhere', { data: { path: '//elsewhere.example/x' } }));
    await click(await appWorker(alice.context), 'elsewhere');
    await A.getByRole('heading', { name: 'Groups', exact: true }).waitFor();
    assert.equal(new URL(A.url()).origin, tracker.httpUrl);
    assert.equal(new URL(A.url()).pathname, '/');
  });
  assertNoBrowserErrors(alice, carol);
});
