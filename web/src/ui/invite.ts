/** Invite expiry as a person sets it (a number and a unit), checked against the tracker's limits. Pure. */
import { INVITE_DEFAULT_TTL_MS, INVITE_MAX_TTL_MS, INVITE_MIN_TTL_MS } from '../../../protocol/constants.ts';

export const UNITS = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
export type Unit = keyof typeof UNITS;

export const DEFAULT_AMOUNT = INVITE_DEFAULT_TTL_MS / UNITS.days;
export const DEFAULT_UNIT: Unit = 'days';

export function inviteTtl(amount: number, unit: Unit): { ok: true; ms: number } | { ok: false; error: string } {
  if (!Number.isFinite(amount) || amount <= 0) return { ok: false, error: 'Enter how long the link should work, above zero.' };
  const ms = Math.round(amount * UNITS[unit]);
  if (ms < INVITE_MIN_TTL_MS) return { ok: false, error: 'An invite link must work for at least one second.' };
  if (ms > INVITE_MAX_TTL_MS) return { ok: false, error: `An invite link can work for at most ${INVITE_MAX_TTL_MS / UNITS.days} days.` };
  return { ok: true, ms };
}
