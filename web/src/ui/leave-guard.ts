/**
 * Keep-this-tab-open (issue 13 item 3): a file stays available only while a
 * tab (or a `meshdrop seed` peer) holds it, so closing a tab that someone is
 * downloading from asks first (`beforeunload`). Pure test of the snapshot,
 * apart from the one listener.
 */
import type { DownloadView } from './transfers.svelte.ts';

/** The files this tab holds whole that someone connected to it is still fetching, with who. */
export function servedNow(held: readonly DownloadView[]): { name: string; to: string[] }[] {
  return held.filter((d) => d.state === 'complete' && (d.servingTo?.length ?? 0) > 0).map((d) => ({ name: d.name, to: d.servingTo! }));
}

/**
 * Asks before the tab goes while `held()` says someone is fetching from it.
 * Browsers show their own words for this question; ours are on the page.
 * Returns the way to remove the listener.
 */
export function installLeaveGuard(target: Pick<Window, 'addEventListener' | 'removeEventListener'>, held: () => readonly DownloadView[]): () => void {
  const listener = (e: BeforeUnloadEvent) => {
    if (servedNow(held()).length === 0) return;
    e.preventDefault();
    // Older Chromium asks only when returnValue is set.
    e.returnValue = '';
  };
  target.addEventListener('beforeunload', listener);
  return () => target.removeEventListener('beforeunload', listener);
}
