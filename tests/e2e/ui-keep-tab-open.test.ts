/**
 * Keep-this-tab-open (issue 13 item 3), in real Chromium: the sharer reads
 * that the file stays available only while a tab (or a `meshdrop seed` peer)
 * holds it, and closing her tab while bob is downloading from it asks first
 * (beforeunload, seen through playwright's dialog event); once bob has it
 * all, closing does not ask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Dialog } from 'playwright-core';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';

test('the sharer is told to keep the tab open, and closing it mid-download asks first', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(3 * 1024 * 1024 + 5);
  const dialogs: string[] = [];
  A.on('dialog', (d: Dialog) => {
    dialogs.push(d.type());
    void d.dismiss(); // "Stay on page"
  });

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'films', 'reel.bin', original);
    const aliceRow = A.getByRole('list', { name: 'Shared files' }).getByRole('listitem').filter({ hasText: 'reel.bin' });
    await aliceRow.getByText('Keep this tab open: others can get this file only while a tab that holds it (or a meshdrop seed on a computer) is running.').waitFor();

    await bobJoinsByInvite(bob, invite);
    const card = await downloadUnderLimit(B, 'films', 'reel.bin', 200);
    await card.locator('[data-testid="peer-row"][data-user="alice"]').waitFor({ timeout: 60_000 });

    // Bob is downloading from alice's tab, the only one holding the file: she reads it, and closing it asks.
    const serving = aliceRow.getByText('bob is downloading from this tab.');
    await serving.waitFor({ timeout: 20_000 });
    await A.close({ runBeforeUnload: true });
    await eventually(() => assert.deepEqual(dialogs, ['beforeunload']), 10_000);
    assert.equal(A.isClosed(), false, 'she chose to stay: the tab is still open');
    await A.getByRole('list', { name: 'Shared files' }).getByText('reel.bin').waitFor();

    // She stayed, so bob gets it all.
    await card.getByText('Complete').waitFor({ timeout: 90_000 });
    const saved = await saveDownload(B, card.getByRole('button', { name: 'Save reel.bin', exact: true }));
    assert.equal(sha1(saved.bytes), sha1(original));

    // Nobody is downloading from her any more: closing does not ask.
    await serving.waitFor({ state: 'detached', timeout: 20_000 });
    const closed = new Promise<void>((resolve) => A.once('close', () => resolve()));
    await A.close({ runBeforeUnload: true });
    await closed;
    assert.deepEqual(dialogs, ['beforeunload'], 'no second question');
  });
  assertNoBrowserErrors(alice, bob);
});
