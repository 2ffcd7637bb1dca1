/**
 * Seeding while downloading: C gets pieces from B while B is itself still
 * downloading them from A. A serves slowly, B fast, so B's verified pieces
 * are worth fetching from B; C's per-peer counters show bytes from B at a
 * moment B was not complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker, eventually } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('C downloads from B while B is still downloading from A', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl, { limits: { uploadBytesPerSecond: 1024 * 1024 } });
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const carol = await personWithSession(t, 'carol', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 12 * 1024 * 1024);

  await withBrowserErrors([alice, bob, carol], async () => {
    await formGroup('friends', alice, [bob, carol]);
    const fileId = await shareFile(alice, file.path, 'friends');
    await startDownload(bob, fileId);
    await eventually(async () => assert.ok((await info(bob.page, fileId))!.piecesDone >= 2), 120_000, 100);
    await startDownload(carol, fileId);

    // Watch until C has bytes from B; B must still be downloading at that moment.
    const seen = await eventually(
      async () => {
        const c = (await info(carol.page, fileId))!;
        const fromBob = c.peers.find((p) => p.userId === 'bob')?.downloaded ?? 0;
        assert.ok(fromBob > 0, 'no bytes from bob yet');
        const b = (await info(bob.page, fileId))!;
        return { fromBob, bobState: b.state, bobPieces: b.piecesDone, bobUploaded: b.uploaded };
      },
      120_000,
      100,
    );
    assert.equal(seen.bobState, 'downloading', `B was still downloading when C had ${seen.fromBob} bytes from it (${seen.bobPieces}/24 pieces)`);
    assert.ok(seen.bobPieces < 24);

    await waitComplete(carol, fileId);
    await waitComplete(bob, fileId);
    assert.equal(sha1(await saveAndRead(carol, fileId)), file.sha1);
  });
  assertNoBrowserErrors(alice, bob, carol);
});
