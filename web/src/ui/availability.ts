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
export function isUnavailable(file: Pick<FileSummary, 'holdersOnline' | 'size'>, here: { shared?: boolean; state?: string } | undefined): boolean {
  return file.size > 0 && file.holdersOnline === 0 && !here?.shared && here?.state !== 'complete';
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
