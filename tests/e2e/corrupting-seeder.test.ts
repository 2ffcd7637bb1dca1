/**
 * A seeder that corrupts every block it serves, beside an honest one: the
 * download completes byte-exact, the failed pieces are reported, and the bad
 * peer is dropped while the honest one is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a seeder that corrupts blocks is dropped and the download still completes byte-exact', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const mallory = await personWithSession(t, 'mallory', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 8 * 1024 * 1024);

  await withBrowserErrors([alice, mallory, bob], async () => {
    await formGroup('friends', alice, [mallory, bob]);
    const fileId = await shareFile(alice, file.path, 'friends');
    assert.equal(await shareFile(mallory, file.path, 'friends'), fileId);
    // From now on every block mallory serves has a flipped byte; her handshake and bitfield stay honest.
    await mallory.page.evaluate(() => (window.meshdropHarness.s().instruments.corrupt = true));

    await startDownload(bob, fileId);
    await waitComplete(bob, fileId);
    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1, 'byte-exact despite the bad seeder');

    const events = await bob.page.evaluate(() => window.meshdropHarness.s().events);
    const servedByMallory = await mallory.page.evaluate(() => Object.keys(window.meshdropHarness.s().servedBlocks()).length);
    assert.ok(servedByMallory > 0, 'mallory did serve (corrupt) blocks');
    assert.ok(events.pieceFailed.length > 0, 'failed pieces were reported');
    assert.ok(events.pieceFailed.every((f) => f.peers.some((p) => p.userId === 'mallory')), 'every failed piece had blocks from mallory');
    assert.deepEqual(events.peerDropped.map((d) => d.userId), ['mallory'], 'mallory, and only mallory, was dropped');
  });
  assertNoBrowserErrors(alice, mallory, bob);
});
