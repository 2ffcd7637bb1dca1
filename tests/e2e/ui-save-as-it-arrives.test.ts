/**
 * Save where I choose, as it arrives (issue 13, item 10), through the UI in
 * real Chromium. Bob starts a download under a speed limit and presses "Save
 * as it arrives…". The native save dialog cannot be clicked in a headless
 * browser, so an init script makes `showSaveFilePicker` (and only it) hand
 * back a real file handle of Chromium's origin private file system (OPFS):
 * every byte written is written by the app to a real file. The file in OPFS
 * grows while the download is still under way, the writing carries on after
 * a reload (the destination is kept, permission still granted), and once the
 * download completes the file is byte-exact (SHA-1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { sha1 } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, setDownloadLimit } from '../helpers/ui-stories.ts';

/** Bytes of the file of that name in this origin's OPFS (0 when not there yet). */
async function opfsFile(page: Page, name: string): Promise<Buffer> {
  const b64 = await page.evaluate(async (n) => {
    const root = await navigator.storage.getDirectory();
    let handle: FileSystemFileHandle;
    try {
      handle = await root.getFileHandle(n);
    } catch {
      return '';
    }
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }, name);
  return Buffer.from(b64, 'base64');
}

test('a download is written into the chosen file as its pieces verify, carries on after a reload, and ends byte-exact', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const B = bob.page;
  const original = randomBytes(6 * 1024 * 1024 + 5);
  // Stands in for the native dialog only: the handle, and every write through it, are the browser's own.
  await bob.context.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (options?: { suggestedName?: string }) =>
      (await navigator.storage.getDirectory()).getFileHandle(options?.suggestedName ?? 'download', { create: true });
  });

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'films', 'reel.bin', original);
    await bobJoinsByInvite(bob, invite);
    await B.getByRole('button', { name: 'Download reel.bin' }).waitFor();
    // 12 pieces at 300 KB/s: about 20 s, slow enough to watch the file grow.
    await setDownloadLimit(B, 300);
    await B.getByRole('button', { name: 'Download reel.bin' }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'reel.bin in films' });
    await card.getByRole('button', { name: 'Save reel.bin as it arrives' }).click();
    await card.getByTestId('save-to').filter({ hasText: 'Saving to reel.bin as it arrives' }).waitFor();

    // Written before the download finished: real bytes of the file, at their offsets, in the real file.
    let early: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 200 && early.length === 0; i++) {
      const bytes = await opfsFile(B, 'reel.bin');
      if (bytes.some((b) => b !== 0)) early = bytes;
      else await B.waitForTimeout(100);
    }
    assert.equal(await card.getByText('Complete').count(), 0, 'the file was written to while the download was under way');
    // Partial: not yet the original's bytes. Not "shorter": pieces land at their offsets in any order, so
    // the last piece, fetched early, makes the file full length with earlier pieces still zeros.
    assert.ok(early.length > 0 && !early.equals(original), `partial file on disk: ${early.length} bytes`);
    const piece = 512 * 1024;
    let matched = 0;
    for (let off = 0; off + piece <= early.length; off += piece) {
      const chunk = early.subarray(off, off + piece);
      if (chunk.some((b) => b !== 0)) {
        assert.ok(chunk.equals(original.subarray(off, off + piece)), `piece at ${off} is the original's`);
        matched++;
      }
    }
    assert.ok(matched >= 1, 'at least one whole piece written before the end');

    // A reload mid-download: the destination is kept and writing carries on (OPFS stays granted).
    await B.reload();
    await card.getByTestId('save-to').filter({ hasText: /Saving to reel.bin|Saved to reel.bin/ }).waitFor({ timeout: 30_000 });
    await B.getByText('Speed limits').click();
    await B.getByRole('spinbutton', { name: 'Download limit in KB/s' }).fill('');
    await B.getByRole('button', { name: 'Apply' }).click();
    await card.getByText('Complete').waitFor({ timeout: 90_000 });
    await card.getByTestId('save-to').filter({ hasText: 'Saved to reel.bin.' }).waitFor({ timeout: 30_000 });
    const saved = await opfsFile(B, 'reel.bin');
    assert.equal(saved.length, original.length);
    assert.equal(sha1(saved), sha1(original));
  });
  assertNoBrowserErrors(alice, bob);
});
