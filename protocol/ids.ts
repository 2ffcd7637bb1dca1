/**
 * The three kinds of peer id, as branded types so one cannot be passed where
 * another is meant (they are all strings on the wire):
 *
 * - PresenceId: the tracker's id for one tracker connection (hello reply's
 *   `peerId`; `to`/`from` in signals, `peerId` in holders; validated by
 *   `PeerId` in protocol/tracker.ts). A peer gets a new one each time it
 *   reconnects to a tracker.
 * - InstanceId: a client instance's own random id, sent in the peer handshake
 *   (PEER_ID_BYTES of hex, protocol/wire.ts); the same across tracker
 *   reconnections.
 * - ConnId: one peer connection attempt, chosen by the dialling side and
 *   carried in every SignalEnvelope (protocol/signal.ts parses it).
 *
 * Types only, no schemas here: the brands cost nothing at run time and pull
 * nothing into the browser bundle. Values get their brand where they were
 * validated, through the `as…` casts below.
 */
declare const brand: unique symbol;
type Branded<B extends string> = string & { readonly [brand]: B };

export type PresenceId = Branded<'PresenceId'>;
export type InstanceId = Branded<'InstanceId'>;
export type ConnId = Branded<'ConnId'>;

/** For ids the tracker already validated (its replies and events). */
export const asPresenceId = (id: string): PresenceId => id as PresenceId;
/** For ids decoded from a handshake frame (always PEER_ID_BYTES of hex) or made by this instance. */
export const asInstanceId = (id: string): InstanceId => id as InstanceId;
/** For connection ids made by this side or parsed from an envelope. */
export const asConnId = (id: string): ConnId => id as ConnId;
