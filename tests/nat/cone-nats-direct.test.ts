/**
 * Two homes behind port-preserving ("cone") NATs, a tracker on the public
 * segment with its defaults and nothing configured: the browsers learn their
 * public addresses from the tracker's own STUN and connect directly. Bob
 * downloads Alice's file byte-exact, and his downloads page shows her as
 * "direct". Real namespaces, real iptables NAT, real Chromium in each home
 * (tests/helpers/netns.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { eventually } from '../helpers/tracker.ts';
import { NatTopology } from '../helpers/netns.ts';
import { outcomeCount, selectedPairs, shareAcrossHomes } from '../helpers/netns-app.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';

test('two cone NATs, tracker defaults: Bob downloads Alice\'s file byte-exact over a direct path, shown as direct', { timeout: 240_000 }, async (t) => {
  const topo = await NatTopology.create(t, { a: 'cone', b: 'cone' });
  const tracker = await topo.startTracker();
  // 3 MiB at 512 KB/s: a few seconds under way, long enough to read the peer row.
  const { alice, bob, original, name, card } = await shareAcrossHomes(topo, tracker, { bytes: 3 * 1024 * 1024 + 777, bobDownloadLimitKBps: 512 });

  await withBrowserErrors([alice, bob], async () => {
    // ICE's own answer first: the pair selected joins the two NATs' public (server-reflexive) addresses, no relay.
    const pairs = await eventually(async () => {
      const p = await selectedPairs(bob);
      assert.ok(p.length > 0, 'Bob has a connected peer connection');
      return p;
    }, 30_000, 200);
    for (const pair of pairs) {
      assert.notEqual(pair.local, 'relay');
      assert.notEqual(pair.remote, 'relay');
      assert.ok(['srflx', 'prflx'].includes(pair.local) && ['srflx', 'prflx'].includes(pair.remote), `through the NATs: ${JSON.stringify(pair)}`);
    }

    // What Bob reads: Alice's row says direct.
    const row = card.locator('[data-testid="peer-row"][data-user="alice"]');
    await row.waitFor({ timeout: 30_000 });
    await eventually(async () => assert.equal(await row.getAttribute('data-path'), 'direct'), 10_000, 100);
    assert.match(await row.innerText(), /\bdirect\b/);

    await card.getByText('Complete').waitFor({ timeout: 120_000 });
    const saved = await saveDownload(bob.page, card.getByRole('button', { name: `Save ${name}`, exact: true }));
    assert.equal(saved.bytes.length, original.length);
    assert.equal(sha1(saved.bytes), sha1(original), 'byte-exact');
  });
  // The client reports the outcome to its tracker once the connection is up.
  await eventually(async () => assert.ok((await outcomeCount(tracker, 'direct')) >= 1, 'the tracker counted a direct connection'), 10_000, 250);
  assertNoBrowserErrors(alice, bob);
});
