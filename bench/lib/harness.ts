/** Steps the transfer benchmarks drive in a harness page (tests/harness/). */
import type { Person } from '../../tests/helpers/browser.ts';

/** Starts the download of `fileId` in the person's harness engine; resolves with the ms until every piece is verified and stored. */
export function timedDownload(p: Person, fileId: string): Promise<number> {
  return p.page.evaluate(async (f) => {
    const e = window.meshdropHarness.s().engine;
    const t0 = performance.now();
    await e.download(f);
    await e.whenComplete(f);
    return performance.now() - t0;
  }, fileId);
}

/**
 * Every 30 s while `work` runs, prints (to stderr) how far the download of
 * `fileId` is on `p`: a stalled run then says where it stands (peers, who
 * could not be reached) instead of hanging silently on a busy machine.
 */
export async function watched<T>(p: Person, fileId: string, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    p.page
      .evaluate((f) => {
        const i = window.meshdropHarness.s().engine.info(f);
        return i && { state: i.state, progress: i.progress, peers: i.peers.map((x) => x.userId), unreachable: i.unreachable, waiting: i.waiting };
      }, fileId)
      .then((i) => console.error(`  (still downloading: ${JSON.stringify(i)})`))
      .catch(() => undefined);
  }, 30_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
