/**
 * A download into a browser whose storage for the site runs out (Chromium's
 * quota made small over CDP, the way a nearly full disk looks to a page):
 * the download is paused once with words that say so, nothing stored is
 * lost, and once there is room again resume finishes it byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { formGroup, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test("a download that fills the browser's storage is paused with words, and finishes byte-exact once there is room", { timeout: 240_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 12 * 1024 * 1024);
  await formGroup('friends', alice, [bob]);
  const fileId = await shareFile(alice, file.path, 'friends');

  const cdp = await bob.context.newCDPSession(bob.page);
  const origin = new URL(tracker.httpUrl).origin;
  const used = await bob.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: used + 3 * 1024 * 1024 });
  await bob.page.evaluate(() => {
    const w = window as unknown as { stopped: { fileId: string; reason: string }[] };
    w.stopped = [];
    window.meshdropHarness.s().engine.on('stopped', (e) => w.stopped.push(e));
  });
  await startDownload(bob, fileId);
  const stopped = await bob.page.waitForFunction(() => {
    const list = (window as unknown as { stopped: { reason: string }[] }).stopped;
    return list.length > 0 ? list.map((e) => e.reason) : undefined;
  }, undefined, { timeout: 60_000 }).then((h) => h.jsonValue() as Promise<string[]>);
  assert.equal(stopped.length, 1, 'said once');
  assert.match(stopped[0]!, /^Paused [^:]+: a piece could not be stored \(.*\)\. Free some space, then resume\.$/);
  const paused = await bob.page.evaluate((f) => {
    const d = window.meshdropHarness.s().engine.info(f)!;
    return { state: d.state, done: d.pieces.filter((p) => p === 'done').length };
  }, fileId);
  assert.equal(paused.state, 'paused');
  // How many pieces fit depends on their order: each sits at its own offset of one OPFS file, which grows to the furthest.
  assert.ok(paused.done < 24, `stopped before the end: ${paused.done} of 24 pieces`);

  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await bob.page.evaluate((f) => window.meshdropHarness.s().engine.resume(f), fileId);
  await waitComplete(bob, fileId);
  const saved = await saveAndRead(bob, fileId);
  assert.equal(sha1(saved), file.sha1, 'byte-exact');
});
