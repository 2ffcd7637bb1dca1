/**
 * The three kinds of peer id, as branded types so one cannot be passed where
 * another is meant (they are all strings on the wire):
 *
 * - PresenceId: the tracker's id for one tracker connection (hello reply's
 *   `peerId`; `to`/`from` in signals, `peerId` in holders). A peer gets a new
 *   one each time it reconnects to a tracker.
 * - InstanceId: a client instance's own random id, sent in the peer handshake
 *   (protocol/wire.ts); the same across tracker reconnections.
 * - ConnId: one peer connection attempt, chosen by the dialling side and
 *   carried in every SignalEnvelope (protocol/signal.ts).
 *
 * The brands cost nothing at run time: values come from a parse (the schemas
 * here) or from a source already validated, through the `as…` casts below.
 */
import { z } from 'zod';
import { PeerId } from './tracker.ts';
import { PEER_ID_BYTES } from './wire.ts';

export const PresenceId = PeerId.brand<'PresenceId'>();
export type PresenceId = z.infer<typeof PresenceId>;

export const InstanceId = z
  .string()
  .regex(new RegExp(`^[0-9a-f]{${PEER_ID_BYTES * 2}}$`))
  .brand<'InstanceId'>();
export type InstanceId = z.infer<typeof InstanceId>;

/** Bounded so a peer cannot make us remember long strings (closed connection ids are kept for a while). */
export const ConnId = z.string().max(64).brand<'ConnId'>();
export type ConnId = z.infer<typeof ConnId>;

/** For ids the tracker already validated (its replies and events). */
export const asPresenceId = (id: string): PresenceId => id as PresenceId;
/** For ids decoded from a handshake frame (always PEER_ID_BYTES of hex) or made by this instance. */
export const asInstanceId = (id: string): InstanceId => id as InstanceId;
/** For connection ids this side made. */
export const asConnId = (id: string): ConnId => id as ConnId;
