/**
 * Pure: which network path a peer connection took, and the plain words for
 * a peer we could not reach (or whose Meshdrop speaks another peer wire
 * version: `wireMismatchReason`). The browser's connector feeds `pathOfStats` the
 * values of RTCPeerConnection.getStats(); node-datachannel can feed it
 * objects of the same shape.
 */
import { WIRE_VERSION } from '../protocol/constants.ts';
import type { IceServer } from '../protocol/tracker.ts';

export type ConnectionPath = 'direct' | 'relayed';

/** The fields of RTCStats entries this reads (a transport, candidate pairs, candidates). */
export interface StatsEntry {
  type: string;
  id: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  state?: string;
  nominated?: boolean;
  /** Firefox's own flag on the pair in use. */
  selected?: boolean;
  candidateType?: string;
}

/**
 * The path of the selected candidate pair: 'relayed' when either end of it
 * is a TURN relay candidate, else 'direct'; undefined while no pair is
 * selected (or the stats name no candidates). The transport's
 * `selectedCandidatePairId` is the standard answer; a nominated, succeeded
 * pair (or Firefox's `selected`) stands in where a browser omits it.
 */
export function pathOfStats(entries: Iterable<StatsEntry>): ConnectionPath | undefined {
  const byId = new Map<string, StatsEntry>();
  for (const e of entries) byId.set(e.id, e);
  let pair: StatsEntry | undefined;
  for (const e of byId.values()) {
    if (e.type === 'transport' && e.selectedCandidatePairId) pair = byId.get(e.selectedCandidatePairId);
    if (pair) break;
  }
  if (!pair) {
    for (const e of byId.values()) {
      if (e.type === 'candidate-pair' && (e.selected === true || (e.nominated === true && e.state === 'succeeded'))) {
        pair = e;
        break;
      }
    }
  }
  if (!pair) return undefined;
  const local = pair.localCandidateId ? byId.get(pair.localCandidateId) : undefined;
  const remote = pair.remoteCandidateId ? byId.get(pair.remoteCandidateId) : undefined;
  if (!local?.candidateType || !remote?.candidateType) return undefined;
  return local.candidateType === 'relay' || remote.candidateType === 'relay' ? 'relayed' : 'direct';
}

/** Whether the ICE servers include a TURN relay (a `turn:` or `turns:` URL). */
export function offersRelay(iceServers: readonly IceServer[]): boolean {
  return iceServers.some((s) => [s.urls].flat().some((u) => /^turns?:/i.test(u)));
}

/**
 * Why we could not reach a holder, in plain words: the connection was tried
 * and no network path came up. What can be said depends on whether a relay
 * was on offer: without one, two networks that need it (a symmetric NAT, a
 * strict firewall) cannot be crossed; with one, the relay itself failed us.
 */
export function unreachableReason(userId: string, iceServers: readonly IceServer[]): string {
  return offersRelay(iceServers)
    ? `could not reach ${userId}, not even through this tracker's relay (TURN): the relay may be down, or blocked on one of the two networks`
    : `could not reach ${userId}: this tracker offers no relay (TURN), and one of the two networks needs one`;
}

/**
 * Why a link to a peer that speaks another peer wire version closed, in plain
 * words: which side is older and what to do. `theirs` is the version byte of
 * the frame they sent.
 */
export function wireMismatchReason(userId: string, theirs: number): string {
  return theirs < WIRE_VERSION
    ? `${userId} runs an older Meshdrop (peer protocol ${theirs}, this one speaks ${WIRE_VERSION}): ${userId} needs to reload the page or update the meshdrop command`
    : `${userId} runs a newer Meshdrop (peer protocol ${theirs}, this one speaks ${WIRE_VERSION}): reload this page (or update the meshdrop command) to reach them`;
}
