/**
 * Speed limits kept per user in this browser (localStorage, one key per user
 * id), so a reload or a later sign-in brings them back, and two people using
 * one browser each keep their own. Storage blocked or full: limits last as
 * long as the tab, as they did before.
 */
import type { KeyValueStorage } from './session.svelte.ts';
import type { SpeedLimits } from './transfer-port.ts';

const keyOf = (userId: string) => `meshdrop.limits.${userId}`;
const NONE: SpeedLimits = { downloadBytesPerSecond: 0, uploadBytesPerSecond: 0 };
/** A cap as stored: bytes per second, 0 for none; anything else (a hand-edited entry) reads as none. */
const cap = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);

export class SpeedLimitStore {
  readonly #storage: KeyValueStorage | undefined;
  constructor(storage: KeyValueStorage | undefined) {
    this.#storage = storage;
  }

  /** This user's kept limits; none if never set (or unreadable). */
  load(userId: string): SpeedLimits {
    let raw: string | null = null;
    try {
      raw = this.#storage?.getItem(keyOf(userId)) ?? null;
    } catch {
      return NONE;
    }
    if (!raw) return NONE;
    try {
      const v = JSON.parse(raw) as Partial<Record<keyof SpeedLimits, unknown>>;
      return { downloadBytesPerSecond: cap(v.downloadBytesPerSecond), uploadBytesPerSecond: cap(v.uploadBytesPerSecond) };
    } catch {
      return NONE;
    }
  }

  save(userId: string, limits: SpeedLimits): void {
    try {
      if (!limits.downloadBytesPerSecond && !limits.uploadBytesPerSecond) this.#storage?.removeItem(keyOf(userId));
      else this.#storage?.setItem(keyOf(userId), JSON.stringify({ downloadBytesPerSecond: cap(limits.downloadBytesPerSecond), uploadBytesPerSecond: cap(limits.uploadBytesPerSecond) }));
    } catch {
      /* storage full or blocked: the limits still hold in this tab */
    }
  }
}
