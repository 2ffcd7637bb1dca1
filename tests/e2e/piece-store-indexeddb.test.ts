/**
 * The IndexedDB PieceStore (web/src/platform/idb-store.ts) passes the shared
 * PieceStore contract inside real Chromium, on an on-disk profile; and
 * deleteFile frees the space its pieces took.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { launchPerson, assertNoBrowserErrors } from '../helpers/browser.ts';
import { pieceStoreContract } from '../helpers/piece-store-contract.ts';

test('IndexedDB piece store in Chromium', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const person = await launchPerson(t, 'store');
  await person.open(`${tracker.httpUrl}/harness.html`);

  const results = await person.page.evaluate(() => window.meshdropHarness.runPieceStoreContract());
  assert.deepEqual(results.map((r) => r.name), pieceStoreContract.map((c) => c.name), 'every contract case ran');
  for (const r of results) {
    await t.test(`contract: ${r.name}`, () => assert.equal(r.error, undefined, r.error));
  }

  await t.test('deleteFile frees the space its pieces took', async () => {
    const usage = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const store = h.createBrowserPlatform().storeFor('space'); // database meshdrop-space
      const used = async () => (await navigator.storage.estimate()).usage ?? 0;
      const before = await used();
      const piece = new Uint8Array(h.PIECE_SIZE);
      for (let i = 0; i < piece.length; i += 65536) crypto.getRandomValues(piece.subarray(i, i + 65536));
      for (let i = 0; i < 64; i++) await store.putPiece('f'.repeat(40), i, piece);
      const full = await used();
      await store.deleteFile('f'.repeat(40));
      const after = await used();
      return { before, full, after, pieces: await store.getPiece('f'.repeat(40), 3) };
    });
    const stored = usage.full - usage.before;
    assert.ok(stored >= 16 * 1024 * 1024, `32 MiB of pieces show in the usage estimate (grew by ${stored})`);
    assert.equal(usage.pieces, undefined);
    assert.ok(usage.after - usage.before < stored / 4, `deleting gave the space back: ${JSON.stringify(usage)}`);
  });
  assertNoBrowserErrors(person);
});
