/**
 * The notifications an app page shows through its service worker's
 * registration, read in real Chromium without racing the browser.
 *
 * Why not poll `registration.getNotifications()`: Chromium can drop a
 * notification that is being shown while a `getNotifications()` of the same
 * registration is in flight (the read prunes what the browser does not yet
 * list as displayed). Measured on Chromium 156 headless: a page that polled
 * every few milliseconds lost 5 of 20 first notifications, none of 20
 * without the polling; the app itself never reads them. So a test records
 * each `showNotification` call of the page once it has settled (a spy that
 * calls the browser's own method: what the app asked for is what the
 * browser got), waits on that record, and only then reads the registration,
 * once, for what a person would see in the system tray.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';

interface ShowRecord {
  title: string;
  /** 'pending' until the browser answers, then 'shown' or its refusal. */
  outcome: string;
}

/** Installs the spy in every page of `context` (before the app's scripts run). */
export async function watchNotifications(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    if (typeof ServiceWorkerRegistration === 'undefined') return;
    const record: ShowRecord[] = [];
    (globalThis as { __notificationShows?: ShowRecord[] }).__notificationShows = record;
    const show = ServiceWorkerRegistration.prototype.showNotification;
    ServiceWorkerRegistration.prototype.showNotification = function (title: string, options?: NotificationOptions) {
      const entry: ShowRecord = { title, outcome: 'pending' }; // recorded at the call: a show the app should not make is seen at once
      record.push(entry);
      return show.call(this, title, options).then(
        () => void (entry.outcome = 'shown'),
        (error: unknown) => {
          entry.outcome = String(error);
          throw error;
        },
      );
    };
  });
}

/** Notifications allowed for `origin` (as a person's "Allow" would) and watched (watchNotifications). */
export async function allowNotifications(context: BrowserContext, origin: string): Promise<void> {
  await context.grantPermissions(['notifications'], { origin });
  await watchNotifications(context);
}

const showsOf = (page: Page) => page.evaluate(() => (globalThis as { __notificationShows?: ShowRecord[] }).__notificationShows ?? []);

/** The titles of every notification the page has asked its registration to show so far, settled or not. */
export const notificationShows = async (page: Page): Promise<string[]> => (await showsOf(page)).map((s) => s.title);

/** What the page's service worker registration shows now: title and body of each. */
export const shownNotifications = (page: Page) =>
  page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body })));

/**
 * Waits until the page has shown a notification titled `title` (watchNotifications first), then
 * returns what its registration lists: the page's notifications as a person would see them.
 */
export async function waitForNotification(page: Page, title: string): Promise<{ title: string; body: string }[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const shows = await showsOf(page);
    const mine = shows.find((s) => s.title === title && s.outcome !== 'pending');
    if (mine) {
      assert.equal(mine.outcome, 'shown', `the browser refused the notification "${title}"`);
      return shownNotifications(page);
    }
    if (Date.now() > deadline) assert.fail(`no notification "${title}" shown; the page showed ${JSON.stringify(shows)}`);
    await page.waitForTimeout(100);
  }
}
