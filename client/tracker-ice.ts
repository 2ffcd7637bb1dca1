/**
 * The ICE servers a TrackerClient (client/tracker.ts) dials with: hello's
 * (the tracker's STUN, --ice-server), replaced while signed in by those of
 * the login, resume or ice_servers reply (with TURN and a credential minted
 * for this user), asked again at the reply's iceRefreshMs, before the
 * credential expires. Signed out, back to hello's.
 */
import { ICE_REFRESH_RETRY_MS } from '../protocol/constants.ts';
import type { IceServer } from '../protocol/replies.ts';

export interface SessionIceHooks {
  /** Asks the tracker for fresh servers (the `ice_servers` request). */
  refresh(): Promise<{ iceServers?: IceServer[]; iceRefreshMs?: number }>;
  /** A session is held (there is a token to refresh for). */
  signedIn(): boolean;
  /** The client is closed: no more timers. */
  closed(): boolean;
}

export class SessionIce {
  readonly #hooks: SessionIceHooks;
  #servers: IceServer[] = [];
  /** What hello gave (STUN only): what we go back to when the session ends. */
  #hello: IceServer[] = [];
  /** Asks ice_servers again before the TURN credential expires (signed in only). */
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(hooks: SessionIceHooks) {
    this.#hooks = hooks;
  }

  /** The ICE servers to dial with now. */
  get servers(): IceServer[] {
    return this.#servers;
  }

  /** A hello reply's servers. Signed in, the TURN entry is kept until the resume reply brings a fresh one. */
  hello(servers: IceServer[]): void {
    this.#hello = servers;
    if (!this.#hooks.signedIn()) this.#servers = servers;
  }

  /** A login/resume/ice_servers reply: its servers (with TURN) until the next refresh. */
  signedIn(reply: { iceServers?: IceServer[]; iceRefreshMs?: number }): void {
    if (reply.iceServers) this.#servers = reply.iceServers;
    this.stop();
    if (reply.iceRefreshMs === undefined || this.#hooks.closed()) return;
    const after = reply.iceRefreshMs;
    this.#timer = setTimeout(() => void this.#refresh(after), after);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** The session ended: hello's servers again, no refresh. */
  forget(): void {
    this.stop();
    this.#servers = this.#hello;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(lastRefreshMs: number): Promise<void> {
    if (!this.#hooks.signedIn() || this.#hooks.closed()) return;
    try {
      this.signedIn(await this.#hooks.refresh());
    } catch {
      // Not signed in any more, or no tracker now: a reconnection's resume brings fresh ones; else try again soon.
      // (The client may have closed while we waited; signedIn() checks it.)
      if (this.#hooks.signedIn()) this.signedIn({ iceRefreshMs: Math.min(lastRefreshMs, ICE_REFRESH_RETRY_MS) });
    }
  }
}
