/**
 * Presence (who holds which pieces, right now) and WebRTC signal relay.
 * Presence tells its own changes to the file's watchers and the mesh
 * (presence.ts `onChange`): these handlers only change it.
 */
import { Bitfield, base64ToBytes } from '../../protocol/bitfield.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { isMember } from '../state/queries.ts';
import { fail, requireMemberFile, requireSession, type Handler, type HandlerContext } from './context.ts';

export const announce: Handler<'announce'> = (ctx, { fileId, bitfield }) => {
  const { userId } = requireSession(ctx);
  const { file } = requireMemberFile(ctx, fileId, userId);
  const pieces = file.meta.pieceHashes.length;
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(bitfield);
  } catch {
    return fail(ErrorCode.InvalidMessage, 'announce: bitfield is not base64');
  }
  if (bytes.length !== Math.ceil(pieces / 8)) {
    fail(ErrorCode.InvalidMessage, `announce: a bitfield for ${pieces} pieces has ${Math.ceil(pieces / 8)} bytes, not ${bytes.length}`);
  }
  ctx.core.presence.announce(ctx.client.peerId, fileId, new Bitfield(pieces, bytes));
  return {};
};

export const have: Handler<'have'> = (ctx, { fileId, pieces }) => {
  const { userId } = requireSession(ctx);
  const { file } = requireMemberFile(ctx, fileId, userId);
  const count = file.meta.pieceHashes.length;
  if (pieces.some((p) => p >= count)) fail(ErrorCode.InvalidMessage, `have: the file has ${count} pieces`);
  if (!ctx.core.presence.have(ctx.client.peerId, fileId, pieces)) fail(ErrorCode.InvalidMessage, 'have: announce the file first');
  return {};
};

export const unannounce: Handler<'unannounce'> = (ctx, { fileId }) => {
  requireSession(ctx);
  ctx.core.presence.unannounce(ctx.client.peerId, fileId);
  return {};
};

export const getHolders: Handler<'get_holders'> = (ctx, { fileId }) => {
  const { userId } = requireSession(ctx);
  const { group } = requireMemberFile(ctx, fileId, userId);
  ctx.core.clients.watch(ctx.client, fileId);
  // Members only: a holding another tracker published just before its peer's
  // user left can arrive here after the leave (presence and ops travel apart).
  const holders = [...ctx.core.presence.holders(fileId)]
    .filter((h) => h.peer.peerId !== ctx.client.peerId && isMember(group, h.peer.userId))
    .map((h) => ({ peerId: h.peer.peerId, userId: h.peer.userId, bitfield: h.bitfield.toBase64() }));
  return { holders };
};

/**
 * Relays a signal only between two online members of the group that owns the
 * file: a non-member can neither reach a member's browser nor be reached.
 */
export const signal: Handler<'signal'> = (ctx, { fileId, to, data }) => {
  // Protocol 1's form carries data inside its JSON (depth and size checked by parseRequest); a missing one goes as null.
  relaySignal(ctx, fileId, to, JSON.stringify(data) ?? 'null');
  return {};
};

/**
 * One signal's authorisation and relay, for `signal` and each of a `signals` frame's; throws a
 * MeshdropError if refused. `dataText`: the sender's data as JSON text, relayed as it is.
 */
export function relaySignal(ctx: HandlerContext, fileId: string, to: string, dataText: string): void {
  const { userId } = requireSession(ctx);
  const { group } = requireMemberFile(ctx, fileId, userId);
  const target = ctx.core.presence.peer(to) ?? fail(ErrorCode.PeerOffline, 'that peer is not online');
  if (!isMember(group, target.userId)) fail(ErrorCode.Forbidden, 'that peer is not a member of this file\'s group');
  ctx.core.clients.routeSignal(target, { fileId, from: ctx.client.peerId, fromUser: userId, data: dataText });
}
