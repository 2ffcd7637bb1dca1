/**
 * The swarm's tracker port (SwarmTracker in client/ports.ts) filled from a
 * TrackerClient. The client parsed the ids the tracker hands out
 * (protocol/replies.ts, protocol/events.ts: the tracker's own rule), so they
 * are branded here, once, at the edge.
 */
import { asPresenceId } from '../protocol/ids.ts';
import type { TrackerEvent } from '../protocol/tracker.ts';
import type { SwarmHolder, SwarmTracker, SwarmTrackerEvent } from './ports.ts';
import type { TrackerClient } from './tracker.ts';

export function swarmTrackerOf(client: TrackerClient): SwarmTracker {
  return {
    get peerId() {
      const id = client.peerId;
      return id === undefined ? undefined : asPresenceId(id);
    },
    get iceServers() {
      return client.iceServers;
    },
    announce: (fileId, have) => client.announce(fileId, have),
    have: (fileId, pieces) => client.have(fileId, pieces),
    holders: async (fileId) =>
      (await client.request('get_holders', { fileId })).holders.map((h): SwarmHolder => ({ ...h, peerId: asPresenceId(h.peerId) })),
    signal: (fileId, to, envelope) => client.signal(fileId, to, envelope),
    reportOutcome: (outcome) => {
      // Signed in only (the tracker refuses anyone else); a lost report is a lost count, nothing more.
      if (client.userId !== undefined) client.request('connection_outcome', { outcome }).catch(() => undefined);
    },
  };
}

/** The event as a swarm takes it, or undefined if it is not one a swarm acts on. */
export function swarmEventOf(e: TrackerEvent): SwarmTrackerEvent | undefined {
  if (e.event === 'signal') return { ...e, from: asPresenceId(e.from) };
  if (e.event === 'holders_changed') return { ...e, peerId: asPresenceId(e.peerId) };
  return undefined;
}
