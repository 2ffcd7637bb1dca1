/**
 * A download begun before pieces moved to OPFS (its pieces in IndexedDB,
 * written the old way) resumes after the upgrade into IndexedDB, not OPFS:
 * the new page downloads the rest, saves the whole file byte-exact and serves
 * it to a third person once the sharer is gone (web/src/platform/piece-store.ts,
 * the per-file backend marker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker, eventually } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { storedPieces } from '../helpers/stored-pieces.ts';
import { formGroup, info, openSession, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a download with its pieces in IndexedDB resumes, saves and serves from IndexedDB after the upgrade', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl, { limits: { uploadBytesPerSecond: 2 * 1024 * 1024 } });
  // Bob's page is the app before OPFS: every piece an IndexedDB Blob.
  const bob = await personWithSession(t, 'bob', tracker.httpUrl, { pieces: 'indexeddb' });
  const carol = await personWithSession(t, 'carol', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 10 * 1024 * 1024);
  const pieceCount = 20;

  await withBrowserErrors([alice, bob, carol], async () => {
    await formGroup('friends', alice, [bob, carol]);
    const fileId = await shareFile(alice, file.path, 'friends');
    await startDownload(bob, fileId);
    await eventually(async () => assert.ok((await info(bob.page, fileId))!.piecesDone >= 4, 'B has some pieces'), 120_000, 100);

    // The upgrade: a reload into the app's store as it is now.
    await bob.page.reload({ waitUntil: 'load' });
    // Held: in the record's bitfield, or stored since it was last written (it is, at most once a second).
    const before = await bob.page.evaluate(async (f) => {
      const h = window.meshdropHarness;
      const rec = await new h.IdbPieceStore('meshdrop-bob').getFile(f);
      const have = Array.from({ length: rec!.meta.pieceHashes.length }, (_, i) => (rec!.have[i >> 3]! & (0x80 >> (i & 7))) !== 0);
      return { have: have.flatMap((held, i) => (held ? [i] : [])), backend: await h.pieceStoreOf('bob').backendOf(f) };
    }, fileId);
    const held = new Set([...before.have, ...(await storedPieces(bob.page, 'bob'))]).size;
    assert.ok(held >= 4 && held < pieceCount, `mid-download: ${held} pieces kept`);
    assert.equal(before.backend, 'idb');

    await openSession(bob, tracker.httpUrl);
    await waitComplete(bob, fileId);
    const where = await bob.page.evaluate(async ([f, n]) => {
      const h = window.meshdropHarness;
      const old = new h.IdbPieceStore('meshdrop-bob');
      let inIdb = 0;
      for (let i = 0; i < (n as number); i++) if (await old.getPieceBlob(f as string, i)) inIdb++;
      const root = await navigator.storage.getDirectory();
      const opfs = await root.getDirectoryHandle('meshdrop-bob').then(
        (d) => d.getFileHandle(`${f}.pieces`).then(() => true, () => false),
        () => false,
      );
      return { inIdb, opfs, backend: await h.pieceStoreOf('bob').backendOf(f as string) };
    }, [fileId, pieceCount] as const);
    assert.deepEqual(where, { inIdb: pieceCount, opfs: false, backend: 'idb' }, 'every piece in IndexedDB, none in OPFS');
    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1, 'saved byte-exact');

    // Bob serves it from IndexedDB: Carol gets it with Alice gone.
    await alice.close();
    await startDownload(carol, fileId);
    await waitComplete(carol, fileId);
    assert.equal(sha1(await saveAndRead(carol, fileId)), file.sha1, 'served byte-exact');
    const carolWhere = await carol.page.evaluate((f) => window.meshdropHarness.pieceStoreOf('carol').backendOf(f), fileId);
    assert.equal(carolWhere, 'opfs', "a new download's pieces go to OPFS");
  });
  assertNoBrowserErrors(bob, carol);
});
