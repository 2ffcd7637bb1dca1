/**
 * Save as it arrives (issue 13, item 10) when the browser asks again for
 * permission after a reload: the card says saving is paused and offers
 * "Allow saving again"; a click asks the browser (from the click, as
 * browsers require), and once allowed the writing carries on and the file
 * ends byte-exact. Real Chromium through the UI.
 *
 * What stands in for the browser, and why: a headless Chromium has no save
 * dialog (showSaveFilePicker is aborted), so, as in
 * ui-save-as-it-arrives.test.ts (both through
 * tests/helpers/save-as-it-arrives.ts), the picker hands back a real file of
 * the origin private file system (OPFS), and every byte is written by the
 * app through the real handle. An OPFS handle is always granted, though, where a
 * file the person picked on disk is not after a reload: Chromium answers
 * `queryPermission` with "prompt" and shows a prompt on a `requestPermission`
 * made during a click (without one it throws a SecurityError). After the
 * reload an init script gives the handles exactly that behaviour, and the
 * person's answer: "Block" the first time, "Allow" the second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { sha1 } from '../helpers/ui.ts';
import { bobSavesReelAsItArrives, liftLimitUntilReelSaved, reelCast } from '../helpers/save-as-it-arrives.ts';

/** What each requestPermission was asked in, and answered. */
const asks = (page: Page) => page.evaluate(() => (window as unknown as { permissionAsks: string[] }).permissionAsks);

test('after a reload the browser asks again: "Allow saving again" asks from the click, a refusal keeps it paused, an allow carries the writing on to a byte-exact file', { timeout: 170_000 }, async (t) => {
  const { tracker, alice, bob, original } = await reelCast(t);
  const B = bob.page;

  await withBrowserErrors([alice, bob], async () => {
    const { card, saveTo } = await bobSavesReelAsItArrives(tracker.httpUrl, alice, bob, original);
    await B.waitForFunction(() => /[1-9]\d* of \d+ pieces written/.test(document.querySelector('[data-testid="save-to"]')?.textContent ?? ''), undefined, { timeout: 60_000 });

    // From the reload on, the handle behaves as a picked file's does in Chromium after a reload.
    await bob.context.addInitScript(() => {
      const w = window as unknown as { permissionAsks: string[] };
      w.permissionAsks = [];
      let allowed = false;
      const proto = FileSystemHandle.prototype as unknown as Record<string, unknown>;
      proto.queryPermission = async () => (allowed ? 'granted' : 'prompt');
      proto.requestPermission = async () => {
        if (!navigator.userActivation.isActive) {
          w.permissionAsks.push('without a click');
          throw new DOMException('User activation is required to request permissions.', 'SecurityError');
        }
        // The person's answer to the prompt: Block, then Allow.
        allowed = w.permissionAsks.length > 0;
        w.permissionAsks.push(allowed ? 'click: allowed' : 'click: blocked');
        return allowed ? 'granted' : 'denied';
      };
    });
    await B.reload();
    await saveTo.filter({ hasText: 'Saving to reel.bin paused: this browser asks again for permission after a reload.' }).waitFor({ timeout: 30_000 });
    assert.equal(await saveTo.getAttribute('data-status'), 'needs-permission');
    assert.deepEqual(await asks(B), [], 'nothing asked without a click (the page only queried)');
    const allow = card.getByRole('button', { name: 'Allow saving reel.bin to reel.bin again' });

    // "Block": still paused, and the button is still there to try again.
    await allow.click();
    await B.waitForFunction(() => (window as unknown as { permissionAsks: string[] }).permissionAsks.length === 1);
    assert.deepEqual(await asks(B), ['click: blocked']);
    await allow.waitFor();
    assert.equal(await saveTo.getAttribute('data-status'), 'needs-permission');

    // "Allow": writing carries on, to the end.
    await allow.click();
    await saveTo.filter({ hasText: 'Saving to reel.bin as it arrives' }).or(saveTo.filter({ hasText: 'Saved to reel.bin.' })).waitFor({ timeout: 30_000 });
    assert.deepEqual(await asks(B), ['click: blocked', 'click: allowed'], 'asked from each click, never without one');
    const saved = await liftLimitUntilReelSaved(B, card);
    assert.equal(saved.length, original.length);
    assert.equal(sha1(saved), sha1(original));
    t.diagnostic(`permission asks: ${(await asks(B)).join(', ')}`);
  });
  assertNoBrowserErrors(alice, bob);
});
