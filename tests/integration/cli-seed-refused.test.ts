/**
 * A `meshdrop seed` left running while its tracker is upgraded to another
 * protocol version: the tracker comes back on the same port refusing this
 * version (a real WebSocket server answering hello as a tracker of the next
 * version does). The seed says the tracker's words and stops with a failing
 * status, instead of sitting idle and silent for ever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { signedIn } from '../helpers/cli.ts';
import { NEWER_TRACKER_WORDS, startOtherVersionTracker } from '../helpers/other-version-tracker.ts';
import { Exit } from '../../cli/exit-codes.ts';

test('a seed whose tracker comes back speaking another version says so and exits failing', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  const seed = alice.start(['seed']);
  await seed.waitFor(/serving|holding/);

  await tracker.close();
  await startOtherVersionTracker(t, { port: tracker.port });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([seed.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), 30_000)))]);
  clearTimeout(timer);
  assert.equal(code, Exit.Refused, `the seed stops with a failing status\n${seed.output()}`);
  assert.ok(seed.output().includes(`the tracker refused this version of meshdrop: ${NEWER_TRACKER_WORDS}`), seed.output());
});
