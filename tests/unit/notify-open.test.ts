/**
 * A notification's click, the page's half (web/src/ui/notify-open.ts): the
 * service worker posts `{ type: 'meshdrop-open', path }` and the app's
 * router shows that screen; anything else, or a path that is not this
 * app's, is ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followNotificationOpens, openPathOf } from '../../web/src/ui/notify-open.ts';

test('a meshdrop-open message names one of the app\'s own paths', () => {
  assert.equal(openPathOf({ type: 'meshdrop-open', path: '/downloads' }), '/downloads');
  assert.equal(openPathOf({ type: 'meshdrop-open', path: '/g/family' }), '/g/family');
  assert.equal(openPathOf({ type: 'meshdrop-open', path: '/g/family?invite=abc' }), '/g/family?invite=abc');
});

test('another site, a relative or odd path, another message: not followed', () => {
  for (const data of [
    { type: 'meshdrop-open', path: '//elsewhere.example/x' },
    { type: 'meshdrop-open', path: '/\\elsewhere.example' },
    { type: 'meshdrop-open', path: 'https://elsewhere.example/' },
    { type: 'meshdrop-open', path: 'downloads' },
    { type: 'meshdrop-open', path: 42 },
    { type: 'meshdrop-open' },
    { type: 'meshdrop-preview', path: '/downloads' },
    'meshdrop-open',
    null,
    undefined,
  ]) {
    assert.equal(openPathOf(data), undefined, JSON.stringify(data));
  }
});

test('the worker\'s messages reach the router until stopped; the preview bridge\'s do not', () => {
  const container = new EventTarget() as unknown as ServiceWorkerContainer;
  const opened: string[] = [];
  const stop = followNotificationOpens(container, (path) => opened.push(path));
  container.dispatchEvent(new MessageEvent('message', { data: { type: 'meshdrop-preview', op: 'open', fileId: 'f' } }));
  container.dispatchEvent(new MessageEvent('message', { data: { type: 'meshdrop-open', path: '/g/family' } }));
  stop();
  container.dispatchEvent(new MessageEvent('message', { data: { type: 'meshdrop-open', path: '/downloads' } }));
  assert.deepEqual(opened, ['/g/family']);
  assert.doesNotThrow(() => followNotificationOpens(undefined, () => undefined)(), 'no service worker (an old browser): nothing to follow');
});
