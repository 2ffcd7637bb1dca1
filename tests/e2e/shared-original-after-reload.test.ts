/**
 * A file shared from a FileSystemFileHandle stays seedable after a reload
 * without a copy in IndexedDB: the handle is kept in IndexedDB, the reloaded
 * page re-opens it (permission already granted) and serves from it.
 *
 * Headless Chromium cannot click through showOpenFilePicker, so the handle
 * comes from the origin-private file system: the same FileSystemFileHandle
 * type, stored and re-opened by the same code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, openSession, personWithSession, randomFileOnDisk, saveAndRead, sha1, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a file shared from a file handle is served after a reload, with no copy in IndexedDB', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 3 * 1024 * 1024 + 4321, 'handle.bin');

  await withBrowserErrors([alice, bob], async () => {
    await formGroup('friends', alice, [bob]);
    await alice.page.setInputFiles('#file', file.path);
    const fileId = await alice.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const dir = await navigator.storage.getDirectory();
      const handle = await dir.getFileHandle('handle.bin', { create: true });
      const writable = await handle.createWritable();
      await h.pickedFile().stream().pipeTo(writable);
      const shared = await h.s().share(await handle.getFile(), 'friends', { keep: 'original', handle });
      return shared.fileId;
    });
    const stored = await alice.page.evaluate((f) => window.meshdropHarness.s().platform.store.getPiece(f, 0), fileId);
    assert.equal(stored, undefined, 'no piece copied into IndexedDB');

    await alice.page.reload({ waitUntil: 'load' });
    await openSession(alice, tracker.httpUrl);
    const view = await info(alice.page, fileId);
    assert.equal(view?.needsSource, false, 'the reloaded page re-opened the original');
    assert.equal(view?.state, 'complete');

    await startDownload(bob, fileId);
    await waitComplete(bob, fileId);
    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1);
  });
  assertNoBrowserErrors(alice, bob);
});
