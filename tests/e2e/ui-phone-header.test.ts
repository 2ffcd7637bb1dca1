/**
 * At phone width the header stays on one row: the brand, the main links, the
 * tracker status, Console, Sessions and Sign out all sit side by side inside
 * the screen, each still there to tap, and who is signed in is still said.
 * Measured with the page's viewport and the boxes of the elements a person
 * sees, at 375, 360 and 320 px.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';

async function assertOneRow(page: Page, width: number, withBrand = true): Promise<void> {
  const banner = page.getByRole('banner');
  const parts: [string, Locator][] = [
    ...(withBrand ? [['brand', banner.getByRole('link', { name: 'Meshdrop' })] as [string, Locator]] : []),
    ['Groups', banner.getByRole('link', { name: 'Groups', exact: true })],
    ['Downloads', banner.getByRole('link', { name: /^Downloads/ })],
    ['status', banner.getByRole('status').first()],
    ['Console', banner.getByRole('button', { name: /Console/ })],
    ['Sessions', banner.getByRole('button', { name: /Sessions/ })],
    ['Sign out', banner.getByRole('button', { name: 'Sign out' })],
  ];
  const boxes: { name: string; x: number; y: number; w: number; h: number }[] = [];
  for (const [name, loc] of parts) {
    const box = await loc.boundingBox();
    assert.ok(box, `${name} is shown`);
    boxes.push({ name, x: box.x, y: box.y, w: box.width, h: box.height });
  }
  for (const b of boxes) {
    assert.ok(b.x >= 0 && b.x + b.w <= width + 0.5, `${b.name} is inside the ${width} px screen (${b.x}..${b.x + b.w})`);
    if (b.name !== 'status') assert.ok(b.w >= 24 && b.h >= 24, `${b.name} is big enough to tap (${b.w}×${b.h})`);
  }
  const mid = (b: { y: number; h: number }) => b.y + b.h / 2;
  const first = mid(boxes[0]!);
  for (const b of boxes) assert.ok(Math.abs(mid(b) - first) < 8, `${b.name} is on the first one's row (${mid(b)} vs ${first})`);
  // Left to right, none on top of another.
  for (let i = 1; i < boxes.length; i++) {
    assert.ok(boxes[i]!.x >= boxes[i - 1]!.x + boxes[i - 1]!.w - 0.5, `${boxes[i]!.name} comes after ${boxes[i - 1]!.name}`);
  }
  const bar = await banner.boundingBox();
  assert.ok(bar && bar.height < 64, `the header is one row high (${bar?.height} px)`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
}

test('at phone width the header stays on one row', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const frank = await launchPerson(t, 'frank');
  const page = frank.page;
  await page.setViewportSize({ width: 375, height: 812 });

  await withBrowserErrors([frank], async () => {
    await frank.open(`${tracker.httpUrl}/`);
    // A long-ish user name, as people pick.
    await signUp(page, 'frankenstein', 'frankpw12');
    await createGroup(page, 'lab');
    await assertOneRow(page, 375);
    // Who is signed in is still said: in the header for screen readers, and in the sessions panel.
    assert.equal(await page.getByRole('banner').getByText('frankenstein', { exact: true }).count(), 1);
    await page.getByRole('banner').getByRole('button', { name: 'Sessions' }).click();
    await page.getByRole('region', { name: 'Your sessions' }).getByText('Signed in as frankenstein').waitFor();
    await page.getByRole('banner').getByRole('button', { name: 'Sessions' }).click();
    await page.setViewportSize({ width: 360, height: 740 });
    await assertOneRow(page, 360);
    // The narrowest phones in use, 320 px: one row still, the Groups link being the way home.
    await page.setViewportSize({ width: 320, height: 640 });
    await assertOneRow(page, 320, false);
  });
  assertNoBrowserErrors(frank);
});
