/**
 * `meshdrop seed --mirror <group>` keeps a group's files available with every
 * browser closed: a file shared by a browser that then closes its tab is
 * downloaded by the mirror, and another browser gets it from the mirror.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';
import { ok, signedIn } from '../helpers/cli.ts';

test('a file shared by a browser that closed its tab stays downloadable from a command-line mirror', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  const mirror = alice.start(['seed', '--mirror', 'family']);
  await mirror.waitFor(/mirroring family/);

  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const carol = await personWithSession(t, 'carol', tracker.httpUrl);
  for (const p of [bob, carol]) {
    await p.page.evaluate(() => window.meshdropHarness.s().tracker.request('join_group', { groupId: 'family' }));
    await ok(alice, ['accept_request', 'family', p.name]);
  }
  const file = await randomFileOnDisk(t, 4 * 1024 * 1024 + 99, 'holiday.bin');
  await withBrowserErrors([bob, carol], async () => {
    const fileId = await shareFile(bob, file.path, 'family');
    await mirror.waitFor(/downloaded holiday\.bin .* in family; serving it/, 120_000);
    await access(join(alice.home, '.local/share/meshdrop/alice/mirror/family/holiday.bin'));
    await bob.page.close();
    // Only the mirror holds it now.
    await eventually(async () => {
      const { files } = await carol.page.evaluate(() => window.meshdropHarness.s().tracker.request('list_files', { groupId: 'family' }));
      assert.equal(files[0]!.holdersOnline, 1);
    }, 30_000, 200);
    await startDownload(carol, fileId);
    await waitComplete(carol, fileId);
    assert.equal(sha1(await saveAndRead(carol, fileId)), file.sha1);
  });
  mirror.child.kill('SIGTERM');
  assert.equal(await mirror.exited, 0);
  assertNoBrowserErrors(carol);
});
