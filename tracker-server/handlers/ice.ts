/**
 * ICE servers for a signed-in connection: hello's (our STUN, --ice-server)
 * plus TURN with a credential minted for this user. Only here, after log-in
 * or resume, so an anonymous connection never gets a relay credential.
 */
import type { IceServer } from '../../protocol/tracker.ts';
import { TURN_TTL_MS, turnIceServers } from '../turn-credentials.ts';
import { requireSession, type Handler, type HandlerContext } from './context.ts';

/**
 * When the client asks again: at half the credential's life, so a refresh
 * that fails (a tracker restarting) has the other half to succeed, and a
 * connection being set up never gets a credential about to expire.
 */
export function iceRefreshMs(ttlMs: number): number {
  return Math.max(1000, Math.floor(ttlMs / 2));
}

export function signedInIce(ctx: HandlerContext, userKey: string): { iceServers: IceServer[]; iceRefreshMs: number } {
  const { config } = ctx.core;
  const ttlMs = config.turnTtlMs ?? TURN_TTL_MS;
  const turn = config.turnSecret && config.turnUrls?.length ? { urls: config.turnUrls, secret: config.turnSecret, ttlMs } : undefined;
  return {
    iceServers: [...(ctx.client.iceServers ?? config.iceServers), ...turnIceServers(turn, userKey, Date.now())],
    iceRefreshMs: iceRefreshMs(ttlMs),
  };
}

export const iceServers: Handler<'ice_servers'> = (ctx) => signedInIce(ctx, requireSession(ctx).userKey);
