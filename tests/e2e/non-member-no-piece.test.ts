/**
 * A non-member cannot obtain a single piece. Mallory shares one group with
 * Alice ("open") but not the one Alice's private file is in:
 * - the tracker refuses her the file's metadata, its holders, a download, and
 *   any signal to Alice about it;
 * - reaching Alice over a connection made for the file they do share, a
 *   handshake for the private file is refused and her requests get no block.
 * A control probe over the same path for the shared file does get blocks,
 * so the refusals are the peer's decision, not a broken probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { formGroup, personWithSession, randomFileOnDisk, shareFile } from '../helpers/swarm-e2e.ts';

test('a non-member cannot obtain a single piece', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await personWithSession(t, 'alice', tracker.httpUrl);
  const bob = await personWithSession(t, 'bob', tracker.httpUrl);
  const mallory = await personWithSession(t, 'mallory', tracker.httpUrl);
  const secret = await randomFileOnDisk(t, 2 * 1024 * 1024, 'secret.bin');
  const common = await randomFileOnDisk(t, 2 * 1024 * 1024, 'common.bin');

  await withBrowserErrors([alice, mallory], async () => {
    await formGroup('private', alice, [bob]);
    await formGroup('open', alice, [mallory]);
    const secretId = await shareFile(alice, secret.path, 'private');
    const commonId = await shareFile(alice, common.path, 'open');
    const alicePeer = await alice.page.evaluate(() => window.meshdropHarness.s().tracker.peerId!);

    const refusals = await mallory.page.evaluate(
      async ([f, to]) => {
        const s = window.meshdropHarness.s();
        const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));
        return {
          getFile: await code(s.tracker.request('get_file', { fileId: f! })),
          getHolders: await code(s.tracker.request('get_holders', { fileId: f! })),
          signal: await code(s.tracker.request('signal', { fileId: f!, to: to!, data: { conn: 'x', data: { type: 'offer', sdp: '' } } })),
          download: await code(s.engine.download(f!)),
        };
      },
      [secretId, alicePeer],
    );
    // Not member and no such file answer alike: a stranger cannot tell that the file exists.
    const no = ErrorCode.NoSuchFile;
    assert.deepEqual(refusals, { getFile: no, getHolders: no, signal: no, download: no });

    const probe = (handshakeFileId: string, waitMs: number) =>
      mallory.page.evaluate(
        (o) => window.meshdropHarness.s().probePeer(o),
        { signalFileId: commonId, to: alicePeer, handshakeFileId, pieceCount: 4, pieces: [0, 1, 2, 3], waitMs },
      );
    const control = await probe(commonId, 3_000);
    assert.ok(control.opened && control.blockBytes > 0, `control: the probe path does fetch blocks of the shared file (${JSON.stringify(control)})`);

    // Waits up to 30 s for the close (it ends as soon as the channel closes).
    const attack = await probe(secretId, 30_000);
    assert.equal(attack.opened, true, 'the connection itself (for the shared file) opened');
    assert.equal(attack.blockBytes, 0, `no block of the private file: ${JSON.stringify(attack)}`);
    assert.ok(!attack.frames.includes('block'));
    const closedByAlice = await alice.page.evaluate(() => window.meshdropHarness.s().events.peerClosed);
    assert.ok(
      closedByAlice.some((c) => c.fileId === commonId && c.userId === 'mallory' && /another file/.test(c.reason)),
      `Alice closed the link on the foreign handshake: ${JSON.stringify(closedByAlice)}`,
    );
    assert.equal(attack.closed, true, 'and Mallory saw it close');
    const served = await alice.page.evaluate(() => window.meshdropHarness.s().servedBlocks());
    assert.ok(Object.keys(served).length > 0, 'only the control probe was served');
  });
  assertNoBrowserErrors(alice, mallory);
});
