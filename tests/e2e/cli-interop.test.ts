/**
 * The command line and browsers are two platforms of one client: a
 * command-line seeder serves a browser, a browser seeder serves the command
 * line, and a browser downloads one file from a command-line peer and a
 * browser at once, both contributing. Real tracker, real Chromium (the test
 * harness page), real node-datachannel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { info, personWithSession, randomFileOnDisk, saveAndRead, sha1, shareFile, startDownload, waitComplete } from '../helpers/swarm-e2e.ts';
import { ok, signedIn } from '../helpers/cli.ts';
import type { Person } from '../helpers/browser.ts';

const join_ = (p: Person, groupId: string) => p.page.evaluate((g) => window.meshdropHarness.s().tracker.request('join_group', { groupId: g }), groupId);

test('command-line seeder → browser; browser seeder → command line; a browser from a command-line peer and a browser at once', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  // Each seeder serves at 1 MiB/s in the last step, so neither can take it all.
  const bob = await personWithSession(t, 'bob', tracker.httpUrl, { limits: { uploadBytesPerSecond: 1024 * 1024 } });
  const carol = await personWithSession(t, 'carol', tracker.httpUrl);
  for (const p of [bob, carol]) {
    await join_(p, 'family');
    await ok(alice, ['accept_request', 'family', p.name]);
  }
  await withBrowserErrors([bob, carol], async () => {
    // 1. command line → browser.
    const a = await randomFileOnDisk(t, 6 * 1024 * 1024 + 321, 'from-cli.bin');
    await ok(alice, ['upload_file', a.path, 'family']);
    const seed = alice.start(['seed', '--upload-limit', '1M']);
    await seed.waitFor(/serving/);
    const fileA = JSON.parse(await ok(alice, ['list_files', 'family', '--json'])).data.find((f: { name: string }) => f.name === 'from-cli.bin').fileId as string;
    await startDownload(bob, fileA);
    await waitComplete(bob, fileA);
    assert.equal(sha1(await saveAndRead(bob, fileA)), a.sha1, 'the browser got the command line\'s file byte-exact');

    // 2. browser → command line.
    const c = await randomFileOnDisk(t, 3 * 1024 * 1024 + 5, 'from-browser.bin');
    await shareFile(carol, c.path, 'family');
    const dest = join(alice.home, 'from-browser.bin');
    await ok(alice, ['download_file', 'family', 'from-browser.bin', dest]);
    assert.equal(sha1(await readFile(dest)), c.sha1, 'the command line got the browser\'s file byte-exact');

    // 3. carol fetches file A from alice (command line) and bob (browser) at once.
    await startDownload(carol, fileA);
    await waitComplete(carol, fileA);
    assert.equal(sha1(await saveAndRead(carol, fileA)), a.sha1);
    const peers = (await info(carol.page, fileA))!.peers;
    for (const from of ['alice', 'bob']) {
      const got = peers.filter((p) => p.userId === from).reduce((n, p) => n + p.downloaded, 0);
      assert.ok(got > 0, `${from} contributed (${got} bytes): ${JSON.stringify(peers)}`);
    }
    seed.child.kill('SIGTERM');
    assert.equal(await seed.exited, 0);
  });
  await eventually(() => assertNoBrowserErrors(bob, carol));
});
