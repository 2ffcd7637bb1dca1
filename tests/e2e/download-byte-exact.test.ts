/**
 * A shares a 20 MiB random file; B downloads it over real WebRTC into real
 * IndexedDB and saves it through the browser's download: the saved bytes
 * have the original's SHA-1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('B downloads the 20 MiB file A shares, and what B saves has the original SHA-1', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 20 * 1024 * 1024);

  await withBrowserErrors([alice, bob], async () => {
    await formGroup('friends', alice, [bob]);
    const fileId = await shareFile(alice, file.path, 'friends');
    await startDownload(bob, fileId);
    // While connected: the peer connection uses exactly the tracker's ICE servers: by default its own STUN only.
    const ice = await bob.page.evaluate(async () => {
      const s = window.meshdropHarness.s();
      for (let i = 0; i < 200 && s.platform.connector.channels.size === 0; i++) await new Promise((r) => setTimeout(r, 50));
      return { fromTracker: s.tracker.iceServers, used: [...s.platform.connector.channels].map((c) => c.iceServers) };
    });
    const own = [{ urls: `stun:127.0.0.1:${tracker.stunPort}` }];
    assert.deepEqual(ice.fromTracker, own);
    assert.ok(ice.used.length > 0, 'a peer connection was open');
    // Chromium reports its configuration normalised (urls as a list, empty username and credential): compare the URLs.
    const urls = (servers: { urls: string | string[] }[]) => servers.flatMap((x) => [x.urls].flat());
    assert.ok(ice.used.every((servers) => JSON.stringify(urls(servers)) === JSON.stringify(urls(own))), `only the tracker's own STUN: ${JSON.stringify(ice.used)}`);
    await waitComplete(bob, fileId);

    const saved = await saveAndRead(bob, fileId);
    assert.equal(saved.length, file.bytes.length);
    assert.equal(sha1(saved), file.sha1, 'the saved file is byte-exact');

    const view = await info(bob.page, fileId);
    assert.equal(view?.state, 'complete');
    assert.equal(view?.piecesDone, 40);
    assert.ok(view!.downloaded >= file.bytes.length, 'B counted every byte it received');
  });
  assertNoBrowserErrors(alice, bob);
});
