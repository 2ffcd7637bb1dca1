/**
 * Preview while downloading (issue 13, item 9), through the UI in real
 * Chromium. Bob downloads a WAV under a speed limit, so it is partial for a
 * while, and presses Preview: the audio gets its metadata and plays (its
 * currentTime advances) before the download finishes, from the pieces
 * already verified, which are the ones at the start (the picker's priority
 * window, fed by the service worker's range requests). Then an image
 * downloads and shows in its preview.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { screenshotPath } from '../helpers/screenshots.ts';
import { dropFile } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';
import { bmp, wav } from '../helpers/media.ts';

const PIECE = 512 * 1024;

test('a partly downloaded WAV plays from its first pieces, fetched first; an image shows in its preview', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const B = bob.page;
  const song = wav(12 * PIECE - 44); // exactly 12 pieces
  const picture = bmp(700); // about 1.4 MiB: 3 pieces

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'band', 'demo.wav', song);
    await dropFile(alice.page, 'cover.bmp', picture);
    await alice.page.getByRole('button', { name: 'Stop sharing cover.bmp' }).waitFor();

    await bobJoinsByInvite(bob, invite);
    // The app's service worker has taken the page over (it answers /preview/).
    await B.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    // Slow enough that the file is partial for a good while: 12 pieces at 300 KB/s take about 20 s.
    const card = await downloadUnderLimit(B, 'band', 'demo.wav', 300);
    await card.getByRole('button', { name: 'Preview demo.wav' }).click();
    const audio = card.getByRole('region', { name: 'Preview of demo.wav' }).locator('audio');
    await audio.waitFor();

    // Metadata, then playing, while the download is still under way.
    await B.waitForFunction((el) => (el as HTMLAudioElement).readyState >= 1, await audio.elementHandle(), { timeout: 60_000 });
    const t0 = await audio.evaluate((el: HTMLAudioElement) => el.currentTime);
    await B.waitForFunction(([el, from]) => (el as HTMLAudioElement).currentTime > (from as number) + 0.5, [await audio.elementHandle(), t0] as const, { timeout: 30_000 });
    assert.equal(await card.getByText('Complete').count(), 0, 'still downloading while it plays');

    // The pieces fetched first are the ones at the start: once five are ready from the start, at most the
    // one or two a download starts with (random, before Preview was pressed) lie elsewhere.
    const ready = card.getByTestId('preview-ready');
    await B.waitForFunction((el) => Number(el!.getAttribute('data-pieces')) >= 5, await ready.elementHandle(), { timeout: 60_000 });
    const readyPieces = Number(await ready.getAttribute('data-pieces'));
    const done = Number(/done (\d+)/.exec((await card.getByRole('figure', { name: 'Piece map' }).textContent()) ?? '')![1]);
    assert.ok(done < 12, `still partial (${done} of 12 pieces done)`);
    assert.ok(done <= readyPieces + 2, `${done} pieces done, ${readyPieces} of them from the start`);
    await B.screenshot({ path: screenshotPath('preview.png') });

    // An image: shown in its preview (the whole picture is read, first pieces first).
    await B.getByText('Speed limits').click();
    await B.getByRole('spinbutton', { name: 'Download limit in KB/s' }).fill('');
    await B.getByRole('button', { name: 'Apply' }).click();
    await B.goBack();
    await B.getByRole('button', { name: 'Download cover.bmp' }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const cover = B.getByRole('article', { name: 'cover.bmp in band' });
    await cover.getByRole('button', { name: 'Preview cover.bmp' }).click();
    const img = cover.getByRole('img', { name: 'Preview of cover.bmp' });
    await B.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 700, await img.elementHandle(), { timeout: 60_000 });
    await card.getByText('Complete').waitFor({ timeout: 90_000 });
  });
  assertNoBrowserErrors(alice, bob);
});
