/**
 * Passwords and session tokens. Passwords: scrypt with a per-user random salt,
 * the parameters stored beside the hash so they can be raised later without
 * breaking old accounts. Tokens: 256 random bits; the state keeps only their
 * SHA-256, so a leaked data dir opens no session.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { TOKEN_BYTES } from '../protocol/constants.ts';

export interface ScryptCost {
  /** CPU/memory cost: 2^15 (32 MiB, ~100 ms) by default; tests lower it to keep suites fast. */
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptCost = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
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

export const newToken = (): string => randomBytes(TOKEN_BYTES).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
export const randomId = (bytes = 12): string => randomBytes(bytes).toString('base64url');
