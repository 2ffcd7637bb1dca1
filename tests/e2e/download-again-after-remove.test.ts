/**
 * Removing a download deletes its pieces; downloading the same file again
 * starts from nothing and completes, as many times as the user likes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a removed download can be downloaded again, from nothing, repeatedly', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 4 * 1024 * 1024);

  await withBrowserErrors([alice, bob], async () => {
    await formGroup('friends', alice, [bob]);
    const fileId = await shareFile(alice, file.path, 'friends');
    for (let round = 0; round < 4; round++) {
      await startDownload(bob, fileId);
      await waitComplete(bob, fileId).catch(async (err) => {
        // The seeder's side of the story: which links it holds and why it closed the others.
        const a = await alice.page.evaluate((f) => JSON.stringify({ info: window.meshdropHarness.s().engine.info(f), events: window.meshdropHarness.s().events }), fileId);
        throw new Error(`${(err as Error).message}\nalice: ${a}`);
      });
      assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1, `round ${round}`);
      await bob.page.evaluate((f) => window.meshdropHarness.s().engine.remove(f), fileId);
      assert.equal(await info(bob.page, fileId), undefined);
      const left = await bob.page.evaluate((f) => window.meshdropHarness.s().platform.store.getPiece(f, 0), fileId);
      assert.equal(left, undefined, 'remove deleted the pieces');
    }
  });
  assertNoBrowserErrors(alice, bob);
});
