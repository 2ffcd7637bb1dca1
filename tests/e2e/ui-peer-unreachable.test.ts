/**
 * A holder that cannot be reached (issue 10 item 3), in real Chromium: bob's
 * network lets no peer traffic through, in or out. Two browsers on one
 * machine always find a host pair, so his browser's ICE candidates are
 * dropped at its RTCPeerConnection instead (neither side then learns an
 * address to try; see DROP_CANDIDATES), and the tracker offers no relay. The
 * app's own code is untouched: the connection simply never comes up. His
 * download does not start; the downloads page says in plain words that he
 * could not reach alice and why, and /metrics counts the failure. The
 * real-NAT version (a symmetric NAT, two homes) is tests/nat/.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { allowClipboard, copyFrom, createGroup, dropFile, signUp } from '../helpers/ui.ts';
import { freePort } from '../helpers/proxy.ts';

/**
 * Page script for bob: every remote candidate (trickled, or in an SDP) is
 * dropped, and no local one is handed to the app to send. What a firewall
 * dropping all UDP between the two would amount to for ICE.
 */
const DROP_CANDIDATES = `(() => {
  const P = window.RTCPeerConnection.prototype;
  P.addIceCandidate = function () { return Promise.resolve(); };
  const setRemote = P.setRemoteDescription;
  P.setRemoteDescription = function (d, ...rest) {
    if (d && d.sdp) d = { type: d.type, sdp: d.sdp.split('\\r\\n').filter((l) => !l.startsWith('a=candidate')).join('\\r\\n') };
    return setRemote.call(this, d, ...rest);
  };
  const onice = Object.getOwnPropertyDescriptor(P, 'onicecandidate');
  Object.defineProperty(P, 'onicecandidate', {
    configurable: true,
    get() { return onice.get.call(this); },
    set(handler) { onice.set.call(this, handler && ((e) => { if (!e.candidate) handler.call(this, e); })); },
  });
})();`;

const outcome = (o: string) => `meshdrop_peer_connections_total{outcome="${o}"}`;

/** Alice shares, bob joins and downloads with DROP_CANDIDATES: what bob's downloads page says of alice, and the tracker's counters. */
async function unreachableDownload(t: TestContext, tracker: Awaited<ReturnType<typeof startTestTracker>>): Promise<{ reason: string; metrics: Record<string, number> }> {
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  await bob.context.addInitScript(DROP_CANDIDATES);
  const A = alice.page;
  const B = bob.page;
  await allowClipboard(alice, tracker.httpUrl);
  const result = await withBrowserErrors([alice, bob], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'films');
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    const invite = await copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));
    await dropFile(A, 'reel.bin', randomBytes(1024 * 1024));
    await A.getByText('shared', { exact: true }).waitFor();

    await bob.open(invite);
    await signUp(B, 'bob', 'builder!');
    await B.getByRole('button', { name: 'Join with invite' }).click();
    await B.getByRole('button', { name: 'Download reel.bin' }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();

    const card = B.getByRole('article', { name: 'reel.bin in films' });
    const reason = card.locator('[data-testid="peer-unreachable"][data-user="alice"]');
    // Within the connect timeout (CONNECT_TIMEOUT_MS, 20 s) and a margin.
    await reason.waitFor({ timeout: 40_000 });
    assert.equal(await card.locator('[data-testid="peer-row"]').count(), 0, 'nobody connected');
    assert.match((await card.locator('p.meta').textContent()) ?? '', /0 B of/, 'the download did not start');
    const metrics = await eventually(async () => {
      const m = (await (await fetch(`${tracker.httpUrl}/metrics`)).json()) as Record<string, number>;
      assert.equal(m[outcome('failed')], 1, 'bob reported the failed connection, once');
      return m;
    }, 10_000);
    return { reason: (await reason.textContent())?.trim() ?? '', metrics };
  });
  assertNoBrowserErrors(alice, bob);
  return result;
}

test('no path and no relay: the page names the holder and the reason, and /metrics counts a failed connection', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const { reason, metrics } = await unreachableDownload(t, tracker);
  assert.equal(reason, 'Could not reach alice: this tracker offers no relay (TURN), and one of the two networks needs one.');
  assert.equal(metrics[outcome('direct')], 0);
  assert.equal(metrics[outcome('relayed')], 0);
});

test('a relay on offer that does not get through either: the reason says so instead', { timeout: 180_000 }, async (t) => {
  // A TURN server nobody answers at (a port just freed): bob is handed it, with a minted credential, and it cannot help.
  const tracker = await startTestTracker(t, { turnUrls: [`turn:127.0.0.1:${await freePort()}?transport=udp`], turnSecret: 'a-test-turn-secret-0123456789' });
  const { reason } = await unreachableDownload(t, tracker);
  assert.match(reason, /^Could not reach alice, not even through this tracker's relay \(TURN\)/);
});
