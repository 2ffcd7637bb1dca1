/**
 * PDF preview (issue 13, item 9: "and PDF where the browser renders it"),
 * through the UI in real Chromium. Whether a browser renders PDFs is what it
 * says in `navigator.pdfViewerEnabled`; the app offers Preview for a PDF
 * only then (web/src/ui/preview.ts).
 *
 * - Bob's Chromium has its PDF viewer (headless Chromium does: the test
 *   checks and says so, and fails rather than pass on nothing if it has
 *   not). His preview of a three-piece PDF, answered by the service worker
 *   from his piece store, shows the page: the frame's pixels are the page's
 *   black, not an empty frame.
 * - Carol's Chromium is set to download PDFs instead of showing them (the
 *   "Download PDF files" setting, `plugins.always_open_pdf_externally`, as a
 *   person or an administrator sets it): it then says it has no viewer, and
 *   the same PDF gets no Preview button, which would show nothing; a WAV in
 *   the same group still gets one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors, type Person } from '../helpers/browser.ts';
import { dropFile, signUp } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';
import { blackPagePdf, wav } from '../helpers/media.ts';

/** The share of `area`'s pixels that are near black, read from a screenshot drawn on a canvas in `page`. */
async function darkShare(page: Page, area: Locator): Promise<number> {
  const png = (await area.screenshot()).toString('base64');
  return page.evaluate(async (b64) => {
    // Decoded here: the app's CSP refuses a fetch of a data: URL.
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i]! < 40 && px[i + 1]! < 40 && px[i + 2]! < 40) dark++;
    return dark / (px.length / 4);
  }, png);
}

async function downloadAndOpenCard(person: Person, name: string): Promise<Locator> {
  const page = person.page;
  await page.getByRole('button', { name: `Download ${name}` }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
  const card = page.getByRole('article', { name: `${name} in papers` });
  await card.waitFor();
  return card;
}

test('a PDF shows in its preview where the browser has a PDF viewer; where it has none, no Preview button is offered for it', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const carol = await launchPerson(t, 'carol', { preferences: { plugins: { always_open_pdf_externally: true } } });
  const report = blackPagePdf(1_300_000); // three pieces

  await withBrowserErrors([alice, bob, carol], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'papers', 'report.pdf', report);
    await dropFile(alice.page, 'memo.wav', wav(200_000));
    await alice.page.getByRole('button', { name: 'Stop sharing memo.wav' }).waitFor();

    // Bob: a browser with a PDF viewer.
    await bobJoinsByInvite(bob, invite);
    const B = bob.page;
    assert.equal(await B.evaluate(() => navigator.pdfViewerEnabled), true, 'this Chromium renders PDFs (navigator.pdfViewerEnabled); without a viewer this half cannot be shown');
    t.diagnostic('bob\'s headless Chromium has its PDF viewer: navigator.pdfViewerEnabled is true');
    await B.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    await B.getByRole('button', { name: 'Download report.pdf' }).waitFor();
    const card = await downloadAndOpenCard(bob, 'report.pdf');
    await card.getByRole('button', { name: 'Preview report.pdf' }).click();
    const frame = card.getByRole('region', { name: 'Preview of report.pdf' }).locator('iframe');
    await frame.waitFor();
    // The page is drawn once the viewer has the file: most of the frame turns black (an empty or failed
    // frame is white or the viewer's grey).
    const deadline = Date.now() + 60_000;
    let share = 0;
    while ((share = await darkShare(B, frame)) < 0.2) {
      if (Date.now() > deadline) assert.fail(`the PDF's page never showed in the preview (dark share ${share.toFixed(3)})`);
      await B.waitForTimeout(250);
    }
    t.diagnostic(`the preview frame is ${(share * 100).toFixed(0)} % the page's black`);
    // Under its own name (the viewer's title and its Download button), not the URL's file id.
    const disposition = await B.evaluate(async (src) => (await fetch(src!, { headers: { range: 'bytes=0-0' } })).headers.get('content-disposition'), await frame.getAttribute('src'));
    assert.equal(disposition, `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`);

    // Carol: the same Chromium set to download PDFs, so it has no viewer.
    await carol.open(invite);
    const C = carol.page;
    await signUp(C, 'carol', 'carolpw1');
    await C.getByRole('button', { name: 'Join with invite' }).click();
    assert.equal(await C.evaluate(() => navigator.pdfViewerEnabled), false, 'carol\'s browser says it has no PDF viewer');
    await C.getByRole('button', { name: 'Download memo.wav' }).waitFor();
    await C.getByRole('button', { name: 'Download report.pdf' }).click();
    await C.getByRole('button', { name: 'Download memo.wav' }).click();
    await C.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const pdfCard = C.getByRole('article', { name: 'report.pdf in papers' });
    const wavCard = C.getByRole('article', { name: 'memo.wav in papers' });
    await wavCard.getByRole('button', { name: 'Preview memo.wav' }).waitFor();
    await pdfCard.getByRole('button', { name: 'Remove report.pdf' }).waitFor();
    assert.equal(await pdfCard.getByRole('button', { name: /Preview/ }).count(), 0, 'no Preview for a PDF this browser cannot show');
    await pdfCard.getByText('Complete').waitFor({ timeout: 60_000 });
    assert.equal(await pdfCard.getByRole('button', { name: /Preview/ }).count(), 0, 'nor once it is complete');
  });
  assertNoBrowserErrors(alice, bob, carol);
});
