/**
 * Short-lived TURN credentials, the "TURN REST API" scheme coturn checks
 * with `use-auth-secret` / `static-auth-secret`: username
 * `<expiry unix seconds>:<user key>`, password base64(HMAC-SHA1(secret,
 * username)). coturn refuses a username whose expiry has passed and any
 * password not made with the secret, so strangers cannot use the relay, and a
 * leaked credential dies on its own. A pure function of (secret, user key,
 * expiry): every tracker of a mesh configured with the same secret mints
 * credentials coturn accepts alike. Never a static credential shared by all.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../protocol/replies.ts';

/** 12 hours: a working day of transfers without a refresh, short enough that a leaked one is soon useless. */
export const TURN_TTL_MS = 12 * 3600_000;

/** A TURN server URL as RFC 7065 writes it: turn: or turns:, host, optional port, optional transport. */
export const TURN_URL_PATTERN = /^turns?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;

export interface TurnConfig {
  urls: readonly string[];
  secret: string;
  ttlMs: number;
}

export function turnCredential(secret: string, userKey: string, expiresAtSec: number): { username: string; credential: string } {
  const username = `${expiresAtSec}:${userKey}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * The TURN ICE server entry for a signed-in user at `nowMs`, or none when
 * TURN is not configured. The expiry is rounded up to the minute, so two
 * trackers asked at about the same time mint the very same credential.
 */
export function turnIceServers(turn: TurnConfig | undefined, userKey: string, nowMs: number): IceServer[] {
  if (!turn || turn.urls.length === 0) return [];
  const expiresAtSec = Math.ceil((nowMs + turn.ttlMs) / 60_000) * 60;
  return [{ urls: [...turn.urls], ...turnCredential(turn.secret, userKey, expiresAtSec) }];
}
