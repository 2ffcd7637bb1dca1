/**
 * The one interface both mesh transports implement (built-in WebSocket links,
 * NATS JetStream), and the one a transport calls back into. Everything about
 * state, presence and authorization is on the `MeshNode` side (mesh.ts); a bus
 * only moves messages and says which trackers it can reach.
 */
import type { Op, VersionVector } from '../../protocol/ops.ts';
import type { PresenceMessage, SignalMessage } from '../../protocol/mesh.ts';

/** What a bus may ask of its tracker. */
export interface MeshNode {
  readonly trackerId: string;
  /** Public client URLs known here (this tracker's and those learned from others). */
  urls(): string[];
  /** Per origin, the last op held *durably*: what to ask others for. */
  versionVector(): VersionVector;
  /** Durable ops a tracker with `vv` lacks, in order per origin. */
  opsAfter(vv: VersionVector): Iterable<Op>;
  /** Ops from elsewhere: resolves with those that were new here, once they are durable. */
  receiveOps(ops: readonly Op[], from: string): Promise<Op[]>;
  /** Holdings of peers connected to tracker `from`. */
  receivePresence(message: PresenceMessage, from: string): void;
  /** A signal for a peer connected here (re-checked before delivery). */
  receiveSignal(message: SignalMessage): void;
  /** Tracker `trackerId` is reachable (again); `urls` are its client URLs. */
  trackerUp(trackerId: string, urls: readonly string[]): void;
  /** Tracker `trackerId` is no longer reachable: its peers' presence goes. */
  trackerDown(trackerId: string): void;
  /** Every holding of this tracker's own peers, to send to a tracker that just appeared. */
  presenceSnapshot(): PresenceMessage;
}

export interface BusStats {
  /** Ops put on the wire (links: per link; NATS: per publish). */
  opsSent: number;
  /** Ops taken off the wire, duplicates included. */
  opsReceived: number;
  /** Trackers reachable right now. */
  trackers: number;
}

export interface Bus {
  readonly kind: 'links' | 'nats';
  readonly stats: BusStats;
  start(node: MeshNode): Promise<void>;
  /**
   * Ops made here (`from` undefined) or just received from tracker `from`.
   * Never sends an op back to the tracker it came from, nor to its origin.
   */
  publishOps(ops: readonly Op[], from?: string): void;
  publishPresence(message: PresenceMessage): void;
  /** False if tracker `trackerId` cannot be reached now. */
  sendSignal(trackerId: string, message: SignalMessage): boolean;
  /** Ask the other trackers again for what this one lacks (a gap was seen). */
  resync(): void;
  close(): Promise<void>;
}
