/**
 * Alice behind a cone NAT, Bob behind a symmetric one, and a tracker with
 * STUN only (its defaults, no TURN): no path exists. The download does not
 * start; within the connect timeout Bob reads, in plain words, that he could
 * not reach alice and why; the tracker's /metrics counts the failure, so an
 * operator can see the deployment needs a relay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { eventually } from '../helpers/tracker.ts';
import { NatTopology } from '../helpers/netns.ts';
import { everConnected, outcomeCount, peerConnectionStates, shareAcrossHomes } from '../helpers/netns-app.ts';
import { CONNECT_TIMEOUT_MS } from '../../protocol/constants.ts';

/** Room for the page to render what the engine learnt when its connect timer fired. */
const RENDER_MARGIN_MS = 5000;

test('one symmetric NAT, no TURN: the download does not start, Bob reads why within the connect timeout, /metrics counts the failure', { timeout: 240_000 }, async (t) => {
  const topo = await NatTopology.create(t, { a: 'cone', b: 'symmetric' });
  const tracker = await topo.startTracker();
  const { alice, bob, card } = await shareAcrossHomes(topo, tracker, { bytes: 1024 * 1024 + 5 });

  await withBrowserErrors([alice, bob], async () => {
    // Bob's download has started looking: a peer connection to Alice is being tried.
    await eventually(async () => assert.ok((await peerConnectionStates(bob)).length > 0, 'Bob dials alice'), 20_000, 100);

    const reason = bob.page.getByTestId('peer-unreachable').filter({ hasText: 'alice' });
    await reason.waitFor({ timeout: CONNECT_TIMEOUT_MS + RENDER_MARGIN_MS });
    const text = await reason.innerText();
    assert.match(text, /could not reach alice/i, text);
    assert.match(text, /relay|TURN/, `the reason says a relay is what is missing: ${text}`);

    // ICE never joined them, and not a byte arrived.
    assert.equal(await everConnected(bob), false, 'no peer connection ever connected');
    assert.match(await card.innerText(), /\b0 B of /, 'nothing downloaded');
    assert.equal(await card.locator('[data-testid="peer-row"]').count(), 0, 'no connected peer listed');
  });
  await eventually(async () => {
    assert.ok((await outcomeCount(tracker, 'failed')) >= 1, 'the tracker counted the failed connection');
  }, 10_000, 250);
  assertNoBrowserErrors(alice, bob);
});
