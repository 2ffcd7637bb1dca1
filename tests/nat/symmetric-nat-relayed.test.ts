/**
 * Alice behind a cone NAT, Bob behind a symmetric one (a new public port per
 * destination: STUN alone cannot join them), a real coturn on the public
 * segment and the tracker pointed at it with `--turn-url` and
 * `--turn-secret`: both signed in, both get a short-lived credential, and
 * the download completes byte-exact through the relay, shown as "relayed".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { eventually } from '../helpers/tracker.ts';
import { NatTopology } from '../helpers/netns.ts';
import { outcomeCount, selectedPairs, shareAcrossHomes } from '../helpers/netns-app.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';

const SECRET = 'nat-test-turn-secret-0123456789';

test('one symmetric NAT, coturn with --turn-secret: the download completes byte-exact over a relayed path, shown as relayed', { timeout: 240_000 }, async (t) => {
  const topo = await NatTopology.create(t, { a: 'cone', b: 'symmetric' });
  const coturn = await topo.startCoturn(SECRET);
  const tracker = await topo.startTracker(['--turn-url', coturn.url, '--turn-secret', SECRET]);
  const { alice, bob, original, name, card } = await shareAcrossHomes(topo, tracker, { bytes: 3 * 1024 * 1024 + 777, bobDownloadLimitKBps: 512 });

  await withBrowserErrors([alice, bob], async () => {
    // ICE's own answer: one end of the selected pair is a relay candidate. The only relay is this coturn, which
    // takes only credentials signed with the secret, so this is the tracker's minted credential at work.
    const pairs = await eventually(async () => {
      const p = await selectedPairs(bob);
      assert.ok(p.length > 0, 'Bob has a connected peer connection');
      return p;
    }, 30_000, 200);
    for (const pair of pairs) assert.ok(pair.local === 'relay' || pair.remote === 'relay', `through the relay: ${JSON.stringify(pair)}`);

    const row = card.locator('[data-testid="peer-row"][data-user="alice"]');
    await row.waitFor({ timeout: 30_000 });
    await eventually(async () => assert.equal(await row.getAttribute('data-path'), 'relayed'), 10_000, 100);
    assert.match(await row.innerText(), /\brelayed\b/);

    await card.getByText('Complete').waitFor({ timeout: 120_000 });
    const saved = await saveDownload(bob.page, card.getByRole('button', { name: `Save ${name}`, exact: true }));
    assert.equal(saved.bytes.length, original.length);
    assert.equal(sha1(saved.bytes), sha1(original), 'byte-exact');
  });
  // The client reports the outcome to its tracker once the connection is up.
  await eventually(async () => assert.ok((await outcomeCount(tracker, 'relayed')) >= 1, 'the tracker counted a relayed connection'), 10_000, 250);
  assertNoBrowserErrors(alice, bob);
});
