/**
 * Sharing hashes a file in a Web Worker: WebCrypto SHA-1 on a secure page,
 * @noble/hashes on a plain-http LAN page (no crypto.subtle there), the same
 * piece hashes either way as Node computes them, with progress per piece.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { metaOf } from '../helpers/files.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { launchPerson, withBrowserErrors, assertNoBrowserErrors } from '../helpers/browser.ts';

test('a shared file is hashed in a worker, by WebCrypto on a secure page and by @noble/hashes on a plain-http LAN page', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  // lan.test resolves to the tracker, but is not localhost: a page from it is not a secure context.
  const person = await launchPerson(t, 'alice', { args: ['--host-resolver-rules=MAP lan.test 127.0.0.1'] });
  const bytes = randomBytes(5 * PIECE_SIZE + 777);
  const expected = metaOf('g', 'x.bin', bytes).meta.pieceHashes;

  await withBrowserErrors([person], async () => {
    for (const origin of [tracker.httpUrl, `http://lan.test:${tracker.port}`]) {
      await person.open(`${origin}/harness.html`);
      await person.page.setInputFiles('#file', { name: 'x.bin', mimeType: 'application/octet-stream', buffer: bytes });
      const result = await person.page.evaluate(async () => {
        const h = window.meshdropHarness;
        const { hasher } = h.createBrowserPlatform();
        const file = h.pickedFile();
        const progress: number[] = [];
        const hashes = await hasher.hashFile(file, h.PIECE_SIZE, { onProgress: (p) => progress.push(p.piecesDone) });
        const piece = new Uint8Array(await file.slice(0, h.PIECE_SIZE).arrayBuffer());
        const one = await hasher.sha1(piece);
        const stillUsable = piece.byteLength;
        return {
          secure: isSecureContext,
          engine: await hasher.engine,
          hashes,
          progress,
          one,
          stillUsable,
        };
      });
      const secure = origin === tracker.httpUrl;
      assert.equal(result.secure, secure);
      assert.equal(result.engine, secure ? 'webcrypto' : 'noble', `${origin}: hashing engine`);
      assert.deepEqual(result.hashes, expected, `${origin}: piece hashes equal Node's`);
      assert.deepEqual([...result.progress].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], 'progress after every piece');
      assert.equal(result.one, expected[0]);
      assert.equal(result.stillUsable, PIECE_SIZE, 'sha1() leaves the caller its bytes');
    }
  });
  assertNoBrowserErrors(person);
});
