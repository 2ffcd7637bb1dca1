/**
 * What travels in a tracker `signal`'s `data` between two peers: the
 * connection it belongs to, and the transport's own signal (SDP, ICE
 * candidate; opaque here). The tracker relays it without looking inside; the
 * receiving swarm parses it with `parseSignalEnvelope`, so a malformed one
 * is ignored rather than trusted.
 *
 * zod/mini, not zod: this runs in the browser on every signal, and the
 * classic build would add most of zod to the web app's bundle.
 */
import * as z from 'zod/mini';
import type { ConnId } from './ids.ts';

/** Longest connection id accepted: a peer cannot make us remember long strings (closed ids are kept a while). */
const MAX_CONN_ID_LENGTH = 64;

export const SignalEnvelopeSchema = z.object({
  /** Chosen by the dialling side; unique per connection attempt. */
  conn: z.string().check(z.maxLength(MAX_CONN_ID_LENGTH)),
  /** The transport's signal, passed to it as is. */
  data: z.unknown(),
  /** Sent back instead of an answer: "I am at my connection cap", so the dialler gives up at once. */
  busy: z.optional(z.literal(true)),
});

/** An envelope as it is sent. */
export type SignalEnvelope = z.infer<typeof SignalEnvelopeSchema>;
/** An envelope as the receiver has it after parsing: its `conn` branded. */
export type ParsedSignalEnvelope = Omit<SignalEnvelope, 'conn'> & { conn: ConnId };

/** The envelope in a signal's data, or undefined if it is not one. Never throws. */
export function parseSignalEnvelope(data: unknown): ParsedSignalEnvelope | undefined {
  const r = SignalEnvelopeSchema.safeParse(data);
  // The brand is a type only: the parsed object is the envelope as it is.
  return r.success ? (r.data as ParsedSignalEnvelope) : undefined;
}
