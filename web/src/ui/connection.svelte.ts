/** Which tracker this tab talks to, and whether it is connected: the status indicator's state. */
import type { ConnectionStatus } from '../../../client/tracker.ts';

export class ConnectionState {
  /** 'connecting' from the start: the tab dials at once, and "no tracker reachable" must not flash before it tries. */
  #status = $state<ConnectionStatus>('connecting');
  #url = $state<string | undefined>(undefined);
  /** The name its operator gave the tracker (--name); never its random id, which means nothing to people. */
  #name = $state<string | undefined>(undefined);
  /** The trackers this browser knows (platform/known-trackers.ts), for the tracker list. */
  #known = $state<readonly { url: string; name?: string }[]>([]);
  #failovers = $state(0);
  /** The tracker's words when it refused this tab for good (another protocol version): the tab stopped trying. */
  #refusal = $state<string | undefined>(undefined);
  #readyUrl: string | undefined;

  get status(): ConnectionStatus {
    return this.#status;
  }
  /** The tracker's WebSocket URL, or undefined before the first connection. */
  get url(): string | undefined {
    return this.#url;
  }
  /** The tracker's name, or its host:port when it names none: what people are shown. */
  get name(): string | undefined {
    return this.#name ?? this.host;
  }
  /** Every tracker this browser knows, the current one marked, each by its name where known. */
  get trackers(): { url: string; name: string; current: boolean }[] {
    const list = this.#known.map((t) => ({ url: t.url, name: t.name ?? hostOf(t.url), current: t.url === this.#url && this.#status === 'connected' }));
    if (this.#url && !list.some((t) => t.url === this.#url)) list.unshift({ url: this.#url, name: this.name ?? hostOf(this.#url), current: this.#status === 'connected' });
    return list;
  }
  /** Set when trying stopped for good: what the tracker said, shown instead of "reconnecting". */
  get refusal(): string | undefined {
    return this.#refusal;
  }
  /** How many times the tab moved to a tracker other than the one it was on. */
  get failovers(): number {
    return this.#failovers;
  }
  /** The tracker's host:port, as shown to people. */
  get host(): string | undefined {
    return this.#url ? hostOf(this.#url) : undefined;
  }
  get label(): string {
    const where = this.name ?? 'tracker';
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
        return this.#refusal ? `Not connected: ${where} speaks another version` : 'No tracker reachable';
    }
  }

  setStatus(status: ConnectionStatus, url: string | undefined): void {
    this.#status = status;
    if (url !== undefined) this.#url = url;
  }

  /** No tracker will take this tab (it speaks another protocol version); `message` says which side is older. */
  refused(message: string): void {
    this.#refusal = message;
    this.#status = 'idle';
  }

  /** A (re)connection finished on this tracker. */
  ready(url: string, name: string | undefined): void {
    this.#refusal = undefined;
    // Compared with the last *ready* tracker: status events already carry the new URL before 'ready' comes.
    if (this.#readyUrl !== undefined && this.#readyUrl !== url) this.#failovers++;
    this.#readyUrl = url;
    this.#url = url;
    this.#name = name;
    this.#status = 'connected';
  }

  /** The remembered trackers changed (a hello, a failed dial). */
  setKnown(trackers: readonly { url: string; name?: string }[]): void {
    this.#known = trackers;
  }

  /** "(switched trackers once)": how often the tab moved to another tracker, in words. */
  get switchedText(): string {
    const n = this.#failovers;
    return n === 0 ? '' : `switched trackers ${n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`}`;
  }

  reset(): void {
    this.#status = 'connecting';
    this.#url = undefined;
    this.#name = undefined;
    this.#failovers = 0;
    this.#refusal = undefined;
    this.#readyUrl = undefined;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
