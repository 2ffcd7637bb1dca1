/**
 * Message authentication on NATS (with `--secret`). Whoever can publish on
 * `meshdrop.>` could otherwise forge ops of any tracker and advertise a
 * failover URL that browsers would trust with their tokens. With a secret,
 * every message a tracker publishes carries an HMAC-SHA256, and one without a
 * valid HMAC is refused before it is parsed.
 *
 * The MAC covers a canonical serialisation: a version tag, the subject (so a
 * message cannot be replayed on another subject, e.g. an op of one origin on
 * another's), the sending time for soft state (so a heartbeat, presence or
 * signal cannot be replayed after NATS_MAC_MAX_AGE_MS), and the exact payload
 * bytes as received: nothing is re-serialised, so no two encoders can disagree.
 * Ops carry no time: they stay in the stream and are legitimately read years
 * later; a replayed op is a duplicate and is dropped by its (origin, seq).
 *
 * The key is derived from the secret (HKDF-SHA256, its own label), so the NATS
 * key is not the links' handshake key even with the same secret.
 * Pure apart from the clock the caller passes in.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { NATS_MAC_MAX_AGE_MS } from '../../protocol/mesh.ts';

const LABEL = 'meshdrop nats message mac v1';
const HEX_MAC = /^[0-9a-f]{64}$/;

export type Verdict = 'ok' | 'unsigned' | 'bad' | 'stale';

export class NatsSigner {
  #key: Buffer;

  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'meshdrop', LABEL, 32));
  }

  /** The MAC (hex) of a message on `subject`; `at` (ms) for soft state, undefined for ops. */
  sign(subject: string, payload: Uint8Array, at?: number): string {
    return this.#mac(subject, payload, at === undefined ? '' : String(at)).toString('hex');
  }

  /** Checks a received message's MAC (and, for soft state, its age against `now`). */
  verify(subject: string, payload: Uint8Array, mac: string | undefined, at?: string, now?: number): Verdict {
    if (!mac) return 'unsigned';
    if (!HEX_MAC.test(mac)) return 'bad';
    if (at !== undefined && !/^\d{1,16}$/.test(at)) return 'bad';
    const expected = this.#mac(subject, payload, at ?? '');
    if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return 'bad';
    if (at !== undefined && now !== undefined && Math.abs(now - Number(at)) > NATS_MAC_MAX_AGE_MS) return 'stale';
    return 'ok';
  }

  #mac(subject: string, payload: Uint8Array, at: string): Buffer {
    return createHmac('sha256', this.#key).update(`${LABEL}\n${subject}\n${at}\n`).update(payload).digest();
  }
}
