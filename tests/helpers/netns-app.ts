/**
 * The real app across the NAT topology (netns.ts): Alice in home a, Bob in
 * home b, each in their own Chromium, both loading the app from the
 * tracker's public address and using it by clicking and typing only
 * (ui.ts): Alice signs up, makes a group and drops a file in; Bob opens the
 * group's link, signs up, asks to join, is accepted, and starts the download.
 *
 * Apart from the UI, the browsers are watched through `getStats` of every
 * RTCPeerConnection the page makes (an init script keeps a list): the test's
 * own check of which candidate pair ICE selected, independent of what the
 * page shows.
 */
import { randomBytes } from 'node:crypto';
import type { Locator } from 'playwright-core';
import type { Person } from './browser.ts';
import { createGroup, dropFile, signUp } from './ui.ts';
import type { NatTopology, NsTracker } from './netns.ts';

/** How many connection outcomes of a kind the tracker's /metrics counts (`meshdrop_peer_connections_total{outcome=...}`). */
export async function outcomeCount(tracker: NsTracker, outcome: 'direct' | 'relayed' | 'failed'): Promise<number> {
  const { status, body } = await tracker.get('/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
  const value = (JSON.parse(body) as Record<string, unknown>)[`meshdrop_peer_connections_total{outcome="${outcome}"}`];
  if (typeof value !== 'number') throw new Error(`/metrics has no meshdrop_peer_connections_total{outcome="${outcome}"}: ${body}`);
  return value;
}

export interface SharedDownload {
  alice: Person;
  bob: Person;
  original: Buffer;
  name: string;
  /** Bob's card for the download on his downloads page. */
  card: Locator;
}

/** The candidate types of a connected pair, as `getStats` reports them (host, srflx, prflx, relay). */
export interface SelectedPair {
  local: string;
  remote: string;
}

declare global {
  interface Window {
    __natPeerConnections?: RTCPeerConnection[];
    __natEverConnected?: boolean;
    __natPairsSeen?: { local: string; remote: string }[];
  }
}

/** Keeps every RTCPeerConnection the page makes, for `selectedPairs`. Before the page loads. */
async function watchPeerConnections(person: Person): Promise<void> {
  await person.context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const list: RTCPeerConnection[] = [];
    window.__natPeerConnections = list;
    class Watched extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        list.push(this);
        this.addEventListener('connectionstatechange', () => {
          if (this.connectionState !== 'connected') return;
          window.__natEverConnected = true;
          void this.getStats().then((stats) => {
            stats.forEach((s) => {
              if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
              const pair = stats.get(s.selectedCandidatePairId);
              (window.__natPairsSeen ??= []).push({ local: stats.get(pair?.localCandidateId)?.candidateType, remote: stats.get(pair?.remoteCandidateId)?.candidateType });
            });
          });
        });
      }
    }
    window.RTCPeerConnection = Watched;
  });
}

/** The selected candidate pair of each of the page's connected peer connections. */
export async function selectedPairs(person: Person): Promise<SelectedPair[]> {
  return person.page.evaluate(async () => {
    const out: { local: string; remote: string }[] = [];
    for (const pc of window.__natPeerConnections ?? []) {
      if (pc.connectionState !== 'connected') continue;
      const stats = await pc.getStats();
      let pairId: string | undefined;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      const pair = pairId ? stats.get(pairId) : undefined;
      if (!pair) continue;
      out.push({ local: stats.get(pair.localCandidateId)?.candidateType, remote: stats.get(pair.remoteCandidateId)?.candidateType });
    }
    return out;
  });
}

/** Whether any of the page's peer connections ever reached "connected". */
export async function everConnected(person: Person): Promise<boolean> {
  return person.page.evaluate(() => window.__natEverConnected === true);
}

/** The pair each of the page's peer connections had selected when it connected, closed ones included. */
export async function pairsSeen(person: Person): Promise<SelectedPair[]> {
  return person.page.evaluate(() => window.__natPairsSeen ?? []);
}

/** How many peer connections the page made, and in which states they are. */
export async function peerConnectionStates(person: Person): Promise<string[]> {
  return person.page.evaluate(() => (window.__natPeerConnections ?? []).map((pc) => pc.connectionState));
}

/**
 * Everything up to Bob's download under way: both people signed up, Bob a
 * member, Alice's file shared, Bob's download started and his downloads page
 * open. `bobDownloadLimitKBps` caps Bob's download through the page's speed
 * limits first, so the transfer lasts long enough to read its peer rows.
 */
export async function shareAcrossHomes(
  topo: NatTopology,
  tracker: NsTracker,
  options: { bytes: number; bobDownloadLimitKBps?: number },
): Promise<SharedDownload> {
  const url = tracker.httpUrl;
  const alice = await topo.launchPerson(topo.a, 'alice', url);
  const bob = await topo.launchPerson(topo.b, 'bob', url);
  await watchPeerConnections(alice);
  await watchPeerConnections(bob);
  const A = alice.page;
  const B = bob.page;
  const original = randomBytes(options.bytes);
  const name = 'report.bin';

  await alice.open(`${url}/`);
  await signUp(A, 'alice', 'wonderland');
  await createGroup(A, 'family');

  // Bob got the group's link in a message and opens it.
  await bob.open(`${url}/g/family`);
  await B.getByText('You were sent a link to the group').waitFor();
  await signUp(B, 'bob', 'builder!');
  await B.getByRole('heading', { name: 'family', level: 1 }).waitFor();
  await B.getByRole('button', { name: 'Ask to join' }).click();
  await A.getByText('bob asks to join family.').waitFor();
  await A.getByRole('button', { name: 'Accept bob' }).click();
  await B.getByText('You are now a member of family.').first().waitFor();

  await dropFile(A, name, original);
  await A.getByRole('list', { name: 'Shared files' }).getByText(name).waitFor();
  await A.getByText('shared', { exact: true }).waitFor();

  const downloads = () => B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
  if (options.bobDownloadLimitKBps) {
    await downloads();
    await B.getByText('Speed limits').click();
    await B.getByLabel('Download limit in KB/s').fill(String(options.bobDownloadLimitKBps));
    await B.getByRole('button', { name: 'Apply' }).click();
    await B.getByRole('form', { name: 'Speed limits' }).getByRole('status').filter({ hasText: 'Applied' }).waitFor();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await B.getByRole('link', { name: 'family' }).click();
  }
  await B.getByRole('button', { name: `Download ${name}` }).click();
  await downloads();
  const card = B.getByRole('article', { name: `${name} in family` });
  await card.waitFor();
  return { alice, bob, original, name, card };
}
