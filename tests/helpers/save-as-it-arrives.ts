/**
 * The set-up and ending the "Save as it arrives" UI tests share (issue 13,
 * item 10). A headless Chromium has no save dialog (showSaveFilePicker is
 * aborted), so `pickerSavesToOpfs` makes the picker, and only it, hand back a
 * real file of the origin private file system (OPFS): every byte is written
 * by the app through the real handle, and `opfsFile` reads them back.
 */
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import type { RunningTracker } from '../../tracker-server/server.ts';
import { launchPerson, type Person } from './browser.ts';
import { startTestTracker, type Teardown } from './tracker.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from './ui-stories.ts';

/** Bytes of the file of that name in this origin's OPFS (empty when not there yet). */
export async function opfsFile(page: Page, name: string): Promise<Buffer> {
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

/** Stands in for the native dialog only: the handle, and every write through it, are the browser's own. */
export async function pickerSavesToOpfs(person: Person): Promise<void> {
  await person.context.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (options?: { suggestedName?: string }) =>
      (await navigator.storage.getDirectory()).getFileHandle(options?.suggestedName ?? 'download', { create: true });
  });
}

/**
 * A tracker, alice and bob in a Chromium each (bob's save picker on OPFS),
 * and the bytes of reel.bin: 12 whole pieces and a last one of 5 bytes.
 */
export async function reelCast(t: Teardown): Promise<{ tracker: RunningTracker; alice: Person; bob: Person; original: Buffer }> {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const original = randomBytes(6 * 1024 * 1024 + 5);
  await pickerSavesToOpfs(bob);
  return { tracker, alice, bob, original };
}

/**
 * Alice shares `reel.bin` in "films" by invite; bob joins, starts its download
 * under a 300 KB/s limit (6 MiB at 300 KB/s: about 20 s, slow enough to
 * watch the file grow), and on the Downloads page presses "Save reel.bin as
 * it arrives". Resolves once the card says it is saving, with the card and
 * its save-to line. Call `pickerSavesToOpfs(bob)` first (`reelCast` does).
 */
export async function bobSavesReelAsItArrives(httpUrl: string, alice: Person, bob: Person, original: Uint8Array): Promise<{ card: Locator; saveTo: Locator }> {
  const B = bob.page;
  const invite = await aliceSharesWithInvite(httpUrl, alice, 'films', 'reel.bin', original);
  await bobJoinsByInvite(bob, invite);
  const card = await downloadUnderLimit(B, 'films', 'reel.bin', 300);
  await card.getByRole('button', { name: 'Save reel.bin as it arrives' }).click();
  const saveTo = card.getByTestId('save-to');
  await saveTo.filter({ hasText: 'Saving to reel.bin as it arrives' }).waitFor();
  return { card, saveTo };
}

/**
 * Lifts the download limit (on the Downloads page, where the card is), waits
 * for the download to complete and the card to say it was saved, and returns
 * the bytes of reel.bin in OPFS.
 */
export async function liftLimitUntilReelSaved(page: Page, card: Locator): Promise<Buffer> {
  await page.getByText('Speed limits').click();
  await page.getByRole('spinbutton', { name: 'Download limit in KB/s' }).fill('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await card.getByText('Complete').waitFor({ timeout: 90_000 });
  await card.getByTestId('save-to').filter({ hasText: 'Saved to reel.bin.' }).waitFor({ timeout: 30_000 });
  return opfsFile(page, 'reel.bin');
}
