/** Numbers as people read them: sizes, speeds, durations; and a file name's length. Pure. */
import { MAX_FILE_NAME_LENGTH } from '../../protocol/constants.ts';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024, one decimal under 10 units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Time left as a phrase: "2 min 5 s left"; "waiting for peers" when nothing is moving. */
export function formatEta(remainingBytes: number, bytesPerSecond: number): string {
  if (remainingBytes <= 0) return 'done';
  if (!(bytesPerSecond > 0)) return 'waiting for peers';
  const s = Math.ceil(remainingBytes / bytesPerSecond);
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s left`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min left`;
}

/**
 * A file name longer than the tracker takes (protocol MAX_FILE_NAME_LENGTH),
 * said before any work is done, with the fix; undefined when it fits.
 */
export function fileNameTooLong(name: string): string | undefined {
  return name.length > MAX_FILE_NAME_LENGTH
    ? `File names are at most ${MAX_FILE_NAME_LENGTH} characters; this one has ${name.length}. Rename the file and share it again.`
    : undefined;
}

/** 0.4567 → "45.7%". */
export function formatPercent(fraction: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return `${(f * 100).toFixed(f === 1 ? 0 : 1)}%`;
}

/** A duration as a person says it, for expiry: 7 days, 1 hour, 30 s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (s % 86400 === 0) return plural(s / 86400, 'day');
  if (s % 3600 === 0) return plural(s / 3600, 'hour');
  if (s % 60 === 0) return plural(s / 60, 'minute');
  return plural(s, 'second');
}
