/**
 * B reloads its tab mid-download: the new page resumes from its store and A
 * never serves again a piece B had verified and stored before the reload
 * (A's served-block counters, per piece, prove it), even one stored after
 * the record last listed its progress (client/recover-stored.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker, eventually } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { storedPieces } from '../helpers/stored-pieces.ts';
import { formGroup, info, openSession, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a download resumes after a reload without fetching a verified piece again', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  // A serves slowly enough (2 MiB/s for 40 pieces) that the reload lands mid-download.
  const alice = await personWithSession(t, 'alice', tracker.httpUrl, { limits: { uploadBytesPerSecond: 2 * 1024 * 1024 } });
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 20 * 1024 * 1024);
  const pieceCount = 40;

  await withBrowserErrors([alice, bob], async () => {
    await formGroup('friends', alice, [bob]);
    const fileId = await shareFile(alice, file.path, 'friends');
    await startDownload(bob, fileId);
    await eventually(async () => assert.ok((await info(bob.page, fileId))!.piecesDone >= 8, 'B has some pieces'), 120_000, 100);

    await bob.page.reload({ waitUntil: 'load' });
    // Wait until A has let go of the old page's connection, then count afresh.
    await eventually(async () => assert.equal((await info(alice.page, fileId))!.peers.filter((p) => p.connected).length, 0), 60_000, 100);
    await alice.page.evaluate(() => window.meshdropHarness.s().instruments.servedBlocks.clear());

    // What the reloaded page finds before its engine starts: the record's bitfield, and the pieces
    // stored (the record is written at most once a second, so it may list fewer).
    const recorded = await bob.page.evaluate(async (f) => {
      const store = window.meshdropHarness.createBrowserPlatform().storeFor('bob');
      const rec = await store.getFile(f);
      const out: number[] = [];
      for (let i = 0; rec && i < rec.meta.pieceHashes.length; i++) if (rec.have[i >> 3]! & (0x80 >> (i & 7))) out.push(i);
      return { state: rec?.state, pieces: out };
    }, fileId);
    assert.equal(recorded.state, 'downloading');
    const kept = { pieces: [...new Set([...recorded.pieces, ...(await storedPieces(bob.page, 'bob'))])].sort((a, b) => a - b) };
    assert.ok(kept.pieces.length >= 8 && kept.pieces.length < pieceCount, `mid-download: ${kept.pieces.length} pieces kept`);

    await openSession(bob, tracker.httpUrl); // same profile: the engine resumes what the store holds
    await waitComplete(bob, fileId);
    const served = await alice.page.evaluate(() => window.meshdropHarness.s().servedBlocks());
    const servedAgain = kept.pieces.filter((p) => served[p] !== undefined);
    assert.deepEqual(servedAgain, [], 'no piece verified before the reload was served again');
    const missing = Array.from({ length: pieceCount }, (_, i) => i).filter((i) => !kept.pieces.includes(i));
    assert.deepEqual(missing.filter((p) => served[p] === undefined), [], 'every missing piece was fetched after the reload');

    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1);
  });
  assertNoBrowserErrors(alice, bob);
});
