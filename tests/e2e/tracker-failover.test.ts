/**
 * Two meshed trackers (built-in links); A sits on one, B on the other, so
 * their WebRTC signals cross the mesh. B's tracker is killed with -9 in the
 * middle of B's download: the transfer goes on browser to browser, B's client
 * moves to the surviving tracker, and the download completes byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/tracker.ts';
import { startMesh } from '../integration/mesh-acceptance.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('the download completes when the downloader\'s tracker is killed mid-download', { timeout: 300_000 }, async (t) => {
  const mesh = await startMesh(t, 'links', 2); // started, linked, killed at teardown
  const [t0, t1] = mesh.nodes;
  // A serves at 1 MiB/s: 12 MiB take long enough for the kill to land mid-download.
  const alice = await personWithSession(t, 'alice', t0!.httpUrl, { trackerUrls: [t0!.wsUrl], limits: { uploadBytesPerSecond: 1024 * 1024 } });
  // B's page and first tracker are t1; t1's hello tells it about t0.
  const bob = await personWithSession(t, 'bob', t1!.httpUrl, { trackerUrls: [t1!.wsUrl] }, {
    // The killed tracker's socket and the page's reconnect attempts against it log network errors; they are the point.
    allowErrors: ['WebSocket connection to', 'ERR_CONNECTION_REFUSED'],
  });
  const file = await randomFileOnDisk(t, 12 * 1024 * 1024);
  const pieceCount = 24;

  await withBrowserErrors([alice, bob], async () => {
    await formGroup('friends', alice, [bob]);
    const fileId = await shareFile(alice, file.path, 'friends');
    // The share reached t1 through the mesh before B asks for it.
    await eventually(() => bob.page.evaluate((f) => window.meshdropHarness.s().tracker.request('get_file', { fileId: f }), fileId), 20_000, 200);
    await startDownload(bob, fileId);
    await eventually(async () => assert.ok((await info(bob.page, fileId))!.piecesDone >= 3), 120_000, 100);

    await mesh.kill(1);
    const atKill = (await info(bob.page, fileId))!;
    assert.ok(atKill.piecesDone < pieceCount, `mid-download when the tracker died (${atKill.piecesDone}/${pieceCount})`);

    await waitComplete(bob, fileId);
    const status = await bob.page.evaluate(() => ({ status: window.meshdropHarness.s().tracker.status, url: window.meshdropHarness.s().tracker.url }));
    assert.deepEqual(status, { status: 'connected', url: t0!.wsUrl }, 'B moved to the surviving tracker');
    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1);
  });
  assertNoBrowserErrors(alice, bob);
});
