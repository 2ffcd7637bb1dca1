/**
 * A file shared from disk (kept as the original, not copied) and then
 * changed on disk: the browser refuses to read its snapshot (the File API's
 * snapshot state), so the sharer serves nothing stale and is told to share
 * it again, and the downloader is never sent a bad piece. This is what lets
 * served pieces of a browser's original go out without a second SHA-1
 * (PieceSource.unchanging, client/served-pieces.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { formGroup, personWithSession, randomFileOnDisk, startDownload } from '../helpers/swarm-e2e.ts';

test('an original changed on disk after sharing: nothing stale is served, the sharer is told, the downloader gets no bad piece', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const file = await randomFileOnDisk(t, 2 * 1024 * 1024 + 77, 'draft.bin');
  await formGroup('friends', alice, [bob]);
  await alice.page.setInputFiles('#file', file.path);
  const fileId = await alice.page.evaluate(async () => {
    const h = window.meshdropHarness;
    const w = window as unknown as { errors: string[] };
    w.errors = [];
    h.s().engine.on('error', ({ message }) => w.errors.push(message));
    return (await h.s().share(h.pickedFile(), 'friends', { keep: 'original' })).fileId;
  });
  // Same size, other bytes, a later modification time: what saving over it in an editor does.
  await writeFile(file.path, randomBytes(file.bytes.length));
  const later = new Date(Date.now() + 5_000);
  await utimes(file.path, later, later);

  await bob.page.evaluate(() => {
    const w = window as unknown as { failed: number };
    w.failed = 0;
    window.meshdropHarness.s().engine.on('piece_failed', () => w.failed++);
  });
  await startDownload(bob, fileId);
  await eventually(
    async () => {
      const errors = await alice.page.evaluate(() => (window as unknown as { errors: string[] }).errors);
      assert.ok(errors.some((m) => /draft\.bin can no longer be read \(NotReadableError\).*share it again/.test(m)), `alice's errors: ${JSON.stringify(errors)}`);
    },
    60_000,
  );
  const bobSide = await bob.page.evaluate((f) => ({ failed: (window as unknown as { failed: number }).failed, done: window.meshdropHarness.s().engine.info(f)?.progress ?? 0 }), fileId);
  assert.equal(bobSide.failed, 0, 'bob was sent no bad piece');
  assert.equal(bobSide.done, 0, 'nothing stale verified at bob');
});
