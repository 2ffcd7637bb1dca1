/**
 * Live holder counts (issue 13 item 1), in real Chromium on two linked
 * trackers: bob, on tracker B with the group page open, sees the count of
 * alice's file (alice is on tracker A) follow her presence without leaving
 * the page; after a reload alice's own row counts her tab.
 */
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { eventually, startTestTracker, connectClient } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, dropFile, signUp } from '../helpers/ui.ts';
import assert from 'node:assert/strict';

test('holder counts follow presence live, across trackers, and count the sharer after a reload', { timeout: 180_000 }, async (t) => {
  const secret = 'ui-holders-secret';
  const b = await startTestTracker(t, { trackerId: 'test-b', secret });
  const a = await startTestTracker(t, { trackerId: 'test-a', secret, peers: [b.wsUrl.replace(/\/ws$/, '')] });
  await eventually(async () => {
    const probe = await connectClient(t, a.wsUrl);
    probe.close();
    // Says, if it ever fails again, which side of the link lacks what: A once did not list B within 20 s
    // (one CI run, and three runs at load 18); not seen since in six CI runs and 830 rounds of this set-up.
    const why = () => JSON.stringify({ probe: probe.knownTrackers, aUrls: a.core.config.publicUrls, bUrls: b.core.config.publicUrls, aBus: a.mesh?.bus.stats, bBus: b.mesh?.bus.stats });
    assert.ok(probe.knownTrackers.includes(b.wsUrl), why());
  }, 20_000, 200);

  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  await allowClipboard(alice, a.httpUrl);
  const original = randomBytes(700 * 1024);

  await withBrowserErrors([alice, bob], async () => {
    await alice.open(`${a.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'films');
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    const invite = await copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));

    // Bob opens the link on the other tracker and stays on the group page.
    await bob.open(invite.replace(a.httpUrl, b.httpUrl));
    await signUp(B, 'bob', 'builder!');
    await B.getByRole('button', { name: 'Join with invite' }).click();
    await B.getByText('No files yet.').waitFor();

    await dropFile(A, 'reel.bin', original);
    await A.getByText('shared', { exact: true }).waitFor();
    const bobRow = B.getByRole('list', { name: 'Shared files' }).getByRole('listitem').filter({ hasText: 'reel.bin' });
    await bobRow.getByText('1 person online has it').waitFor({ timeout: 20_000 });

    // Alice reloads: her own row counts this tab, which shares it again.
    await A.reload();
    const aliceRow = A.getByRole('list', { name: 'Shared files' }).getByRole('listitem').filter({ hasText: 'reel.bin' });
    await aliceRow.getByText('sharing from this browser').waitFor({ timeout: 30_000 });
    await aliceRow.getByText('1 person online has it').waitFor({ timeout: 20_000 });

    // Alice's tab closes: bob's count follows, on the page he never left.
    await A.close();
    await bobRow.getByText('nobody online has it').waitFor({ timeout: 20_000 });

    // She comes back in a new tab: the count comes back too.
    const A2 = await alice.context.newPage();
    await A2.goto(`${a.httpUrl}/g/films`);
    await bobRow.getByText('1 person online has it').waitFor({ timeout: 30_000 });
  });
  assertNoBrowserErrors(alice, bob);
});
