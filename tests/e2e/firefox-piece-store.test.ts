/**
 * The app's piece store in Firefox ESR (puppeteer-core, as
 * firefox-interop.test.ts drives it): it passes the PieceStore contract with
 * its pieces in OPFS, and a second tab of the same user, which cannot open
 * the file another tab holds (Firefox's sync access handles are exclusive),
 * keeps that piece in IndexedDB; both tabs read both pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { launchFirefoxPerson } from '../helpers/firefox.ts';
import type { Harness } from '../../tests/harness/harness.ts';

type Win = { meshdropHarness: Harness };

test('the piece store in Firefox: OPFS, and a second tab falls back to IndexedDB for a file the first holds', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const fox = await launchFirefoxPerson(t, 'fox');
  await fox.open(`${tracker.httpUrl}/harness.html`);
  await fox.page.waitForFunction(() => (window as unknown as Win).meshdropHarness !== undefined);

  const results = await fox.page.evaluate(() => (window as unknown as Win).meshdropHarness.runPieceStoreContract('app'));
  for (const r of results) {
    await t.test(`contract (Firefox, app store): ${r.name}`, () => assert.equal(r.error, undefined, r.error));
  }

  const f = 'a'.repeat(40);
  const first = await fox.page.evaluate(async (f) => {
    const s = (window as unknown as Win).meshdropHarness.pieceStoreOf('x');
    await s.putPiece(f, 0, new Uint8Array(1000).fill(7));
    return s.backendOf(f);
  }, f);
  assert.equal(first, 'opfs', 'Firefox keeps pieces in OPFS');

  const second = await fox.browser.newPage();
  t.after(() => second.close().catch(() => undefined));
  await second.goto(`${tracker.httpUrl}/harness.html`);
  await second.waitForFunction(() => (window as unknown as Win).meshdropHarness !== undefined);
  const inSecond = await second.evaluate(async (f) => {
    const h = (window as unknown as Win).meshdropHarness;
    const s = h.pieceStoreOf('x');
    await s.putPiece(f, 1, new Uint8Array(1000).fill(8));
    return { p0: (await s.getPiece(f, 0))?.[999], p1: (await s.getPiece(f, 1))?.[999], inIdb: (await new h.IdbPieceStore('meshdrop-x').getPiece(f, 1))?.[999] };
  }, f);
  assert.deepEqual(inSecond, { p0: 7, p1: 8, inIdb: 8 }, 'the second tab wrote its piece to IndexedDB and reads both');
  const inFirst = await fox.page.evaluate(async (f) => {
    const s = (window as unknown as Win).meshdropHarness.pieceStoreOf('x');
    return { p0: (await s.getPiece(f, 0))?.[999], p1: (await s.getPiece(f, 1))?.[999] };
  }, f);
  assert.deepEqual(inFirst, { p0: 7, p1: 8 }, 'the first tab reads the piece the second kept in IndexedDB');
  assert.deepEqual(fox.errors, []);
});
