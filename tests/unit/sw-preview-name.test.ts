/**
 * The preview's Content-Disposition (web/build/sw-body.js `inlineDisposition`,
 * run in a VM as the worker runs it): shown inline under the file's own name,
 * so a viewer (Chromium's PDF viewer: its title, its Download button) does not
 * name it after the URL's file id. ASCII fallback plus the exact UTF-8 name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const BODY = readFileSync(new URL('../../web/build/sw-body.js', import.meta.url), 'utf8');
const scope = { self: { location: new URL('https://meshdrop.example/sw.js'), addEventListener: () => undefined }, URL, PRECACHE: [], CACHE_NAME: 'c', CACHE_PREFIX: 'c' };
runInNewContext(BODY, scope);
const inlineDisposition = (scope as unknown as { inlineDisposition: (name: unknown) => string }).inlineDisposition;

test('a plain name is given as is', () => {
  assert.equal(inlineDisposition('report.pdf'), `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`);
});

test('quotes, backslashes and non-ASCII letters: an ASCII stand-in, and the exact name encoded', () => {
  assert.equal(inlineDisposition('Zoë "draft" (v2)\\.pdf'), `inline; filename="Zo_ _draft_ (v2)_.pdf"; filename*=UTF-8''Zo%C3%AB%20%22draft%22%20%28v2%29%5C.pdf`);
  // Every character of the header is one a header may carry (a ByteString of visible ASCII).
  assert.match(inlineDisposition('日本語 ファイル.pdf'), /^[\x20-\x7e]+$/);
  assert.equal(decodeURIComponent(inlineDisposition("it's*.pdf").split("UTF-8''")[1]!), "it's*.pdf");
});

test('no name (an older page\'s answer): inline, unnamed', () => {
  assert.equal(inlineDisposition(undefined), 'inline');
  assert.equal(inlineDisposition(''), 'inline');
});
