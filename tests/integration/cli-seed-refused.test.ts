/**
 * A `meshdrop seed` left running while its tracker is upgraded to another
 * protocol version: the tracker comes back on the same port refusing this
 * version (a real WebSocket server answering hello as a tracker of the next
 * version does). The seed says the tracker's words and stops with a failing
 * status, instead of sitting idle and silent for ever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { startTestTracker } from '../helpers/tracker.ts';
import { signedIn } from '../helpers/cli.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { Exit } from '../../cli/exit-codes.ts';

test('a seed whose tracker comes back speaking another version says so and exits failing', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  const seed = alice.start(['seed']);
  await seed.waitFor(/serving|holding/);

  await tracker.close();
  const words = `this tracker speaks protocol ${PROTOCOL_VERSION + 1}, not ${PROTOCOL_VERSION}; this page or program is older than the tracker: reload the page, or update meshdrop`;
  const upgraded = new WebSocketServer({ port: tracker.port, host: '127.0.0.1' });
  t.after(() => new Promise((r) => upgraded.close(r)));
  upgraded.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: ErrorCode.VersionMismatch, message: words } }));
    }),
  );

  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([seed.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), 30_000)))]);
  clearTimeout(timer);
  assert.equal(code, Exit.Refused, `the seed stops with a failing status\n${seed.output()}`);
  assert.ok(seed.output().includes(`the tracker refused this version of meshdrop: ${words}`), seed.output());
});
