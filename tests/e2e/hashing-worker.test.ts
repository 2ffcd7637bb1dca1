/**
 * Sharing hashes a file in a Web Worker: WebCrypto SHA-1 on a secure page,
 * @noble/hashes on a plain-http LAN page (no crypto.subtle there), the same
 * piece hashes either way as Node computes them, with progress per piece.
 * A downloaded piece's check (`sha1`) runs in the same worker, on a copy in
 * a pooled buffer: several at once each get their own piece's hash, and the
 * caller's bytes are left as they were.
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
        // Every piece at once (more than the pool keeps), twice over so pooled buffers come round again, the short last one too.
        const pieces = await Promise.all(Array.from({ length: 6 }, (_, i) => file.slice(i * h.PIECE_SIZE, (i + 1) * h.PIECE_SIZE).arrayBuffer().then((b) => new Uint8Array(b))));
        const before = pieces.map((p) => p.slice());
        const rounds = [];
        for (let round = 0; round < 2; round++) rounds.push(await Promise.all(pieces.map((p) => hasher.sha1(p))));
        const untouched = pieces.every((p, i) => p.byteLength === before[i]!.byteLength && p.every((b, k) => b === before[i]![k]));
        return {
          secure: isSecureContext,
          engine: await hasher.engine,
          hashes,
          progress,
          one,
          stillUsable,
          rounds,
          untouched,
        };
      });
      const secure = origin === tracker.httpUrl;
      assert.equal(result.secure, secure);
      assert.equal(result.engine, secure ? 'webcrypto' : 'noble', `${origin}: hashing engine`);
      assert.deepEqual(result.hashes, expected, `${origin}: piece hashes equal Node's`);
      assert.deepEqual([...result.progress].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], 'progress after every piece');
      assert.equal(result.one, expected[0]);
      assert.equal(result.stillUsable, PIECE_SIZE, 'sha1() leaves the caller its bytes');
      assert.deepEqual(result.rounds, [expected, expected], `${origin}: six pieces checked at once, twice, each get their own hash`);
      assert.ok(result.untouched, 'sha1() changes none of the bytes it is given');
    }
  });
  assertNoBrowserErrors(person);
});

test('when the hashing worker cannot start, sharing says so at once and a download still checks its pieces, on the page', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const person = await launchPerson(t, 'alice', { allowErrors: ['hash-worker', 'net::ERR_FAILED'] });
  // The worker's script never arrives (a proxy dropped it, a stale cached shell): its load fails.
  await person.page.context().route('**/hash-worker-*.js', (route) => route.abort());
  const bytes = randomBytes(PIECE_SIZE + 99);
  const expected = metaOf('g', 'x.bin', bytes).meta.pieceHashes;
  await person.open(`${tracker.httpUrl}/harness.html`);
  await person.page.setInputFiles('#file', { name: 'x.bin', mimeType: 'application/octet-stream', buffer: bytes });
  const result = await person.page.evaluate(async () => {
    const h = window.meshdropHarness;
    const { hasher } = h.createBrowserPlatform();
    const file = h.pickedFile();
    const share = await hasher.hashFile(file, h.PIECE_SIZE).then(() => 'hashed', (e: Error) => e.message);
    const pieces = [file.slice(0, h.PIECE_SIZE), file.slice(h.PIECE_SIZE)];
    const hashes = await Promise.all(pieces.map(async (p) => hasher.sha1(new Uint8Array(await p.arrayBuffer()))));
    return { share, hashes };
  });
  assert.match(result.share, /the hashing worker failed/, 'sharing fails with words, it does not wait forever');
  assert.deepEqual(result.hashes, expected, "pieces are checked by the page's own WebCrypto");
});
