/** Which tracker this tab talks to, and whether it is connected: the status indicator's state. */
import type { ConnectionStatus } from '../../../client/tracker.ts';

export class ConnectionState {
  /** 'connecting' from the start: the tab dials at once, and "no tracker reachable" must not flash before it tries. */
  #status = $state<ConnectionStatus>('connecting');
  #url = $state<string | undefined>(undefined);
  #trackerId = $state<string | undefined>(undefined);
  #failovers = $state(0);
  #readyUrl: string | undefined;

  get status(): ConnectionStatus {
    return this.#status;
  }
  /** The tracker's WebSocket URL, or undefined before the first connection. */
  get url(): string | undefined {
    return this.#url;
  }
  get trackerId(): string | undefined {
    return this.#trackerId;
  }
  /** How many times the tab moved to a tracker other than the one it was on. */
  get failovers(): number {
    return this.#failovers;
  }
  /** The tracker's host:port, as shown to people. */
  get host(): string | undefined {
    if (!this.#url) return undefined;
    try {
      return new URL(this.#url).host;
    } catch {
      return this.#url;
    }
  }
  get label(): string {
    const where = this.#trackerId ?? this.host ?? 'tracker';
    switch (this.#status) {
      case 'connected':
        return `Connected to ${where}`;
      case 'reconnecting':
        return `Reconnecting… (was ${where})`;
      case 'connecting':
        return 'Connecting…';
      case 'closed':
        return 'Disconnected';
      case 'idle':
        return 'No tracker reachable';
    }
  }

  setStatus(status: ConnectionStatus, url: string | undefined): void {
    this.#status = status;
    if (url !== undefined) this.#url = url;
  }

  /** A (re)connection finished on this tracker. */
  ready(url: string, trackerId: string | undefined): void {
    // Compared with the last *ready* tracker: status events already carry the new URL before 'ready' comes.
    if (this.#readyUrl !== undefined && this.#readyUrl !== url) this.#failovers++;
    this.#readyUrl = url;
    this.#url = url;
    this.#trackerId = trackerId;
    this.#status = 'connected';
  }

  reset(): void {
    this.#status = 'connecting';
    this.#url = undefined;
    this.#trackerId = undefined;
    this.#failovers = 0;
    this.#readyUrl = undefined;
  }
}
