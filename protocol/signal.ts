/**
 * What travels in a tracker `signal`'s `data` between two peers: the
 * connection it belongs to, and the transport's own signal (SDP, ICE
 * candidate; opaque here). The tracker relays it without looking inside; the
 * receiving swarm parses it with `parseSignalEnvelope`, so a malformed one
 * is ignored rather than trusted.
 */
import { z } from 'zod';
import { ConnId } from './ids.ts';

export const SignalEnvelopeSchema = z.object({
  /** Chosen by the dialling side; unique per connection attempt. */
  conn: ConnId,
  /** The transport's signal, passed to it as is. */
  data: z.unknown(),
  /** Sent back instead of an answer: "I am at my connection cap", so the dialler gives up at once. */
  busy: z.literal(true).optional(),
});

/** An envelope as it is sent (its `conn` a plain string). */
export type SignalEnvelope = z.input<typeof SignalEnvelopeSchema>;
/** An envelope as the receiver has it after parsing (its `conn` a ConnId). */
export type ParsedSignalEnvelope = z.output<typeof SignalEnvelopeSchema>;

/** The envelope in a signal's data, or undefined if it is not one. Never throws. */
export function parseSignalEnvelope(data: unknown): ParsedSignalEnvelope | undefined {
  const r = SignalEnvelopeSchema.safeParse(data);
  return r.success ? r.data : undefined;
}
