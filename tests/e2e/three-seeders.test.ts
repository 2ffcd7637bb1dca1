/**
 * Three seeders, one downloader: the downloader's per-peer byte counters show
 * pieces from all three, and the file it saves is byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';

test('a downloader with three seeders gets pieces from all three', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  // Each seeder capped well below what the channel carries, so no single one can serve the whole file before the others are connected.
  const limits = { uploadBytesPerSecond: 1024 * 1024 };
  const seeders = [
    await personWithSession(t, 'alice', tracker.httpUrl, { limits }),
    await personWithSession(t, 'carol', tracker.httpUrl, { limits }),
    await personWithSession(t, 'dave', tracker.httpUrl, { limits }),
  ];
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const people = [...seeders, bob];
  const file = await randomFileOnDisk(t, 8 * 1024 * 1024);

  await withBrowserErrors(people, async () => {
    await formGroup('friends', seeders[0]!, [seeders[1]!, seeders[2]!, bob]);
    // The same bytes shared into the same group under the same name are one file: three seeders of it.
    const ids = [];
    for (const s of seeders) ids.push(await shareFile(s, file.path, 'friends'));
    assert.equal(new Set(ids).size, 1, 'one file id');
    const fileId = ids[0]!;

    await startDownload(bob, fileId);
    await waitComplete(bob, fileId);
    const view = await info(bob.page, fileId);
    const fromEach = Object.fromEntries(view!.peers.map((p) => [p.userId, p.downloaded]));
    for (const s of seeders) assert.ok((fromEach[s.name] ?? 0) > 0, `bytes from ${s.name}: ${JSON.stringify(fromEach)}`);
    const total = Object.values(fromEach).reduce((a, b) => a + b, 0);
    assert.ok(total >= file.bytes.length, 'the per-peer counters add up to at least the file');

    assert.equal(sha1(await saveAndRead(bob, fileId)), file.sha1);
  });
  assertNoBrowserErrors(...people);
});
