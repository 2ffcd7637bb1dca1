/**
 * The path shown (issue 10 item 3), in real Chromium with real WebRTC on one
 * machine: bob's downloads page says alice is reached directly, the console's
 * show_downloads says so too, and the tracker's /metrics counts the direct
 * connection bob reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { runCommand } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';

const outcome = (o: string) => `meshdrop_peer_connections_total{outcome="${o}"}`;

test('two browsers on one machine: the peer row says direct, show_downloads too, and /metrics counts it', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(4 * 1024 * 1024 + 11);

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'films', 'reel.bin', original);

    await bobJoinsByInvite(bob, invite);
    // Slow, so the link to alice is still open (and listed) while we look.
    const card = await downloadUnderLimit(B, 'films', 'reel.bin', 200);
    const row = card.locator('[data-testid="peer-row"][data-user="alice"]');
    await row.and(B.locator('[data-path="direct"]')).waitFor({ timeout: 60_000 });
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 2), ['alice', 'direct'], 'the word is on screen, not only in an attribute');
    assert.equal(await card.getByTestId('peer-unreachable').count(), 0);

    const lines = await runCommand(B, 'show_downloads');
    assert.ok(lines.some((l) => /^\[D\] \[films\] reel\.bin .*· alice direct$/.test(l)), JSON.stringify(lines));

    await eventually(async () => {
      const metrics = (await (await fetch(`${tracker.httpUrl}/metrics`)).json()) as Record<string, number>;
      assert.equal(metrics[outcome('direct')], 1, 'bob, who dialled, reported one direct connection');
      assert.equal(metrics[outcome('failed')], 0);
      assert.equal(metrics[outcome('relayed')], 0);
    }, 10_000);
  });
  assertNoBrowserErrors(alice, bob);
});
