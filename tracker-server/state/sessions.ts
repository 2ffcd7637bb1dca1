/**
 * Session lifetimes and the per-user cap (issue 8, item 9). Pure: rules over
 * replicated facts only, so every tracker judges every session the same way.
 *
 * - A session's lifetimes (idle, absolute) are the ones its session_opened
 *   op carries: the opening tracker's flags, not each judge's.
 * - It expires `maxMs` after its opening op's hlc, or `idleMs` after its last
 *   renewal's hlc (the opening counts as one), whichever comes first.
 * - A renewal (session_renewed) takes effect only if the session was still
 *   live at the renewal op's own hlc, so a late-arriving renewal never
 *   revives a session another tracker already judged expired.
 * - Opening a session beyond MAX_SESSIONS_PER_USER ends the user's oldest
 *   (by opening hlc, then token hash): folded, so the same one everywhere.
 */
import { createHash } from 'node:crypto';
import { MAX_SESSIONS_PER_USER, SESSION_IDLE_MS, SESSION_MAX_MS, SESSION_RENEW_FRACTION } from '../../protocol/constants.ts';
import { hlcToMs, type Op } from '../../protocol/ops.ts';
import type { SessionRecord, State } from './model.ts';

export type SessionTimes = Pick<SessionRecord, 'openedHlc' | 'renewedHlc' | 'idleMs' | 'maxMs'>;

/** Milliseconds since the epoch at which the session stops working. */
export function sessionExpiresAt(s: SessionTimes): number {
  return Math.min(hlcToMs(s.openedHlc) + s.maxMs, hlcToMs(s.renewedHlc) + s.idleMs);
}

export function sessionLiveAt(s: SessionTimes, nowMs: number): boolean {
  return nowMs < sessionExpiresAt(s);
}

/** A resume at `nowMs` writes a session_renewed op only when the last renewal is this old: not an op per request. */
export function needsRenewal(s: SessionTimes, nowMs: number): boolean {
  return nowMs - hlcToMs(s.renewedHlc) >= s.idleMs / SESSION_RENEW_FRACTION;
}

/**
 * What list_sessions shows instead of the token hash: a hash of the hash,
 * short. It names a session to revoke without giving anything that opens it
 * or that could be matched against the state's token hashes.
 */
export function publicSessionId(tokenHash: string): string {
  return createHash('sha256').update(`meshdrop-session-id:${tokenHash}`).digest('hex').slice(0, 16);
}

export function openSession(state: State, op: Extract<Op, { kind: 'session_opened' }>): void {
  const record: SessionRecord = {
    userId: op.userId,
    userKey: op.userKey,
    openedHlc: op.hlc,
    renewedHlc: op.hlc,
    idleMs: op.idleMs ?? SESSION_IDLE_MS,
    maxMs: op.maxMs ?? SESSION_MAX_MS,
  };
  const previous = state.sessions.get(op.tokenHash);
  if (previous) indexOf(state, previous.userId).delete(op.tokenHash);
  state.sessions.set(op.tokenHash, record);
  const mine = indexOf(state, op.userId);
  mine.add(op.tokenHash);
  // Sessions of this user that had expired by this op's time are dropped here, so expired ones do not pile up.
  const now = hlcToMs(op.hlc);
  for (const hash of mine) {
    const s = state.sessions.get(hash)!;
    if (!sessionLiveAt(s, now)) endSession(state, hash);
  }
  while (mine.size > MAX_SESSIONS_PER_USER) endSession(state, oldest(state, mine));
}

export function renewSession(state: State, tokenHash: string, hlc: number): boolean {
  const s = state.sessions.get(tokenHash);
  if (!s || !sessionLiveAt(s, hlcToMs(hlc)) || hlc <= s.renewedHlc) return false;
  s.renewedHlc = hlc;
  return true;
}

export function endSession(state: State, tokenHash: string): boolean {
  const s = state.sessions.get(tokenHash);
  if (!s) return false;
  state.sessions.delete(tokenHash);
  const mine = state.sessionsByUser.get(s.userId);
  mine?.delete(tokenHash);
  if (mine?.size === 0) state.sessionsByUser.delete(s.userId);
  return true;
}

/** Sign out everywhere: the account's sessions opened before `hlc` end (one opened concurrently elsewhere, later, stays). */
export function endSessionsOf(state: State, userId: string, userKey: string, hlc: number): boolean {
  if (state.users.get(userId)?.key !== userKey) return false;
  let ended = false;
  for (const hash of [...(state.sessionsByUser.get(userId) ?? [])]) {
    const s = state.sessions.get(hash)!;
    if (s.userKey === userKey && s.openedHlc < hlc) ended = endSession(state, hash) || ended;
  }
  return ended;
}

/** The user's session tokens hashes, live at `nowMs`, of the account that holds the name. */
export function sessionsOf(state: State, userId: string, userKey: string, nowMs: number): [string, SessionRecord][] {
  const out: [string, SessionRecord][] = [];
  for (const hash of state.sessionsByUser.get(userId) ?? []) {
    const s = state.sessions.get(hash)!;
    if (s.userKey === userKey && sessionLiveAt(s, nowMs)) out.push([hash, s]);
  }
  return out.sort((a, b) => a[1].openedHlc - b[1].openedHlc);
}

function indexOf(state: State, userId: string): Set<string> {
  let mine = state.sessionsByUser.get(userId);
  if (!mine) state.sessionsByUser.set(userId, (mine = new Set()));
  return mine;
}

function oldest(state: State, hashes: Set<string>): string {
  let best: string | undefined;
  let bestHlc = Infinity;
  for (const hash of hashes) {
    const hlc = state.sessions.get(hash)!.openedHlc;
    if (hlc < bestHlc || (hlc === bestHlc && best !== undefined && hash < best)) {
      best = hash;
      bestHlc = hlc;
    }
  }
  return best!;
}
