/**
 * Pure: the words the group page shows for a file nobody online holds
 * (issue 13 item 2): that it is unavailable, who shared it and when, and
 * when someone last had it online, if the tracker saw them go.
 */
import type { FileSummary } from '../../../protocol/tracker.ts';

/**
 * A file is unavailable to this tab when nobody online holds any of it and
 * this tab does not hold it whole. An empty file never is: there is nothing
 * to fetch, so its download completes without a holder.
 */
export function isUnavailable(file: Pick<FileSummary, 'holdersOnline' | 'partialOnline' | 'size'>, here: { shared?: boolean; state?: string } | undefined): boolean {
  return file.size > 0 && file.holdersOnline + (file.partialOnline ?? 0) === 0 && !here?.shared && here?.state !== 'complete';
}

/**
 * Who online has the file, in plain words: "2 people online have it", and
 * those with part of it apart ("1 more is downloading it"), since only
 * someone with every piece can give the whole file.
 */
export function holdersText(file: Pick<FileSummary, 'holdersOnline' | 'partialOnline'>): string {
  const whole = file.holdersOnline;
  const part = file.partialOnline ?? 0;
  const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);
  if (whole === 0 && part === 0) return 'nobody online has it';
  if (whole === 0) return `nobody online has all of it; ${people(part)} ${part === 1 ? 'has' : 'have'} part of it`;
  const has = `${people(whole)} online ${whole === 1 ? 'has' : 'have'} it`;
  return part === 0 ? has : `${has}, ${part} more ${part === 1 ? 'is' : 'are'} downloading it`;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function timeAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return 'just now';
  if (s < 3600) return plural(Math.floor(s / 60), 'minute');
  if (s < 86400) return plural(Math.floor(s / 3600), 'hour');
  return plural(Math.floor(s / 86400), 'day');
}

/** The line under an unavailable file's name; `me` turns my own name into "you". */
export function unavailableText(file: Pick<FileSummary, 'sharedBy' | 'sharedAt' | 'lastOnlineAt'>, me: string | undefined, now: number): string {
  const who = file.sharedBy === me ? 'you' : file.sharedBy;
  const last = file.lastOnlineAt !== undefined ? `; last online ${timeAgo(file.lastOnlineAt, now)}` : '';
  return `Unavailable: nobody who has it is online. Shared by ${who} ${timeAgo(file.sharedAt, now)}${last}.`;
}
