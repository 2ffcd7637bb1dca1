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
