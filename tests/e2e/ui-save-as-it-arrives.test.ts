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
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { sha1 } from '../helpers/ui.ts';
import { bobSavesReelAsItArrives, liftLimitUntilReelSaved, opfsFile, reelCast } from '../helpers/save-as-it-arrives.ts';

test('a download is written into the chosen file as its pieces verify, carries on after a reload, and ends byte-exact', { timeout: 170_000 }, async (t) => {
  const { tracker, alice, bob, original } = await reelCast(t);
  const B = bob.page;

  await withBrowserErrors([alice, bob], async () => {
    // Under a 300 KB/s limit: slow enough to watch the file grow.
    const { card } = await bobSavesReelAsItArrives(tracker.httpUrl, alice, bob, original);

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
    const saved = await liftLimitUntilReelSaved(B, card);
    assert.equal(saved.length, original.length);
    assert.equal(sha1(saved), sha1(original));
  });
  assertNoBrowserErrors(alice, bob);
});
