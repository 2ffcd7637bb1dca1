/**
 * Unguessable ids for the client: request ids and the client instance's
 * secret (see tracker-server/mesh/dedupe.ts). Random bits from
 * `crypto.getRandomValues`, present in browsers and in Node, drawn from a
 * pool refilled 4 KiB at a time, so an id per request (signals included)
 * costs a slice and a little encoding, not a call into the system's random
 * source each.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/** `length` base64url characters, 6 random bits each (22 characters: 132 bits). */
export function randomId(length = 22): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    if (used === POOL_BYTES) {
      globalThis.crypto.getRandomValues(pool);
      used = 0;
    }
    out += ALPHABET[pool[used++]! & 63];
  }
  return out;
}
