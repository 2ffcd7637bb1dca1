/**
 * Passwords and session tokens. Passwords: scrypt with a per-user random salt,
 * the parameters stored beside the hash so they can be raised later without
 * breaking old accounts. Tokens: 256 random bits; the state keeps only their
 * SHA-256, so a leaked data dir opens no session.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_BYTES } from '../protocol/constants.ts';
import { passwordPool } from './password-pool.ts';

export interface ScryptCost {
  /** CPU/memory cost: 2^15 (32 MiB, ~100 ms) by default; tests lower it to keep suites fast. */
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptCost = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

/** In the password pool's own threads, never libuv's (see password-pool.ts); rejects with PoolBusyError when full. */
function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return passwordPool.scrypt({ password, salt, N: cost.N, r: cost.r, p: cost.p, keyLength: KEY_LENGTH });
}

/** Returns `{salt, hash}` for a user record; `hash` is `scrypt$N$r$p$hex`. */
export async function hashPassword(password: string, cost: ScryptCost): Promise<{ salt: string; hash: string }> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, cost);
  return { salt: salt.toString('hex'), hash: `scrypt$${cost.N}$${cost.r}$${cost.p}$${key.toString('hex')}` };
}

export async function verifyPassword(password: string, salt: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, hex] = stored.split('$');
  if (scheme !== 'scrypt' || !hex) return false;
  const key = await scryptAsync(password, Buffer.from(salt, 'hex'), { N: Number(n), r: Number(r), p: Number(p) });
  const expected = Buffer.from(hex, 'hex');
  return expected.length === key.length && timingSafeEqual(expected, key);
}

/**
 * A record no password opens, at the given cost: a log-in for a missing user
 * is checked against it, so it costs the same scrypt work (and time) as one
 * for a real user and the reply's timing does not tell which names exist.
 */
export function dummyRecord(cost: ScryptCost): { salt: string; hash: string } {
  return {
    salt: randomBytes(16).toString('hex'),
    hash: `scrypt$${cost.N}$${cost.r}$${cost.p}$${randomBytes(KEY_LENGTH).toString('hex')}`,
  };
}

export const newToken = (): string => randomBytes(TOKEN_BYTES).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
export const randomId = (bytes = 12): string => randomBytes(bytes).toString('base64url');
