/**
 * The service worker's notificationclick (web/build/sw-body.js), run as it
 * is in a VM context with a fake worker scope: the tabs the browser would
 * list, and what the worker does with them. In a browser only a click the
 * browser dispatches may focus a tab (tests/e2e/ui-notification-click.test.ts
 * drives the real worker and the app); here focusing can be allowed or
 * refused, and every call is recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const BODY = readFileSync(new URL('../../web/build/sw-body.js', import.meta.url), 'utf8');
const ORIGIN = 'https://meshdrop.example';

interface Tab {
  url: string;
  focused?: boolean;
  visibilityState?: 'visible' | 'hidden';
}

/** Loads the worker with these tabs open; `click(path)` runs one click and resolves with what happened. */
function worker(tabs: Tab[], focusAllowed = true) {
  const calls: string[] = [];
  const listeners = new Map<string, (event: unknown) => void>();
  const clients = tabs.map((tab, i) => ({
    id: `tab${i}`,
    type: 'window',
    url: tab.url,
    focused: tab.focused ?? false,
    visibilityState: tab.visibilityState ?? 'hidden',
    focus() {
      calls.push(`focus tab${i}`);
      return focusAllowed ? Promise.resolve(this) : Promise.reject(new Error('Not allowed to focus a window.'));
    },
    navigate(url: string) {
      calls.push(`navigate tab${i} ${url}`);
      return Promise.resolve(this);
    },
    postMessage(message: unknown) {
      calls.push(`message tab${i} ${JSON.stringify(message)}`);
    },
  }));
  const self = {
    location: new URL(`${ORIGIN}/sw.js`),
    addEventListener: (type: string, fn: (event: unknown) => void) => listeners.set(type, fn),
    clients: {
      matchAll: async () => clients,
      openWindow: async (url: string) => {
        calls.push(`openWindow ${new URL(url, ORIGIN).href}`);
        return null;
      },
    },
  };
  runInNewContext(BODY, { self, URL, PRECACHE: [], CACHE_NAME: 'c', CACHE_PREFIX: 'c' });
  return {
    calls,
    async click(path: unknown): Promise<string[]> {
      let work: Promise<unknown> = Promise.resolve();
      listeners.get('notificationclick')!({
        notification: { data: { path }, close: () => calls.push('close') },
        waitUntil: (p: Promise<unknown>) => (work = p),
      });
      await work;
      return calls;
    },
  };
}

const open = (tab: number, path: string) => `message tab${tab} ${JSON.stringify({ type: 'meshdrop-open', path })}`;

test('a click tells the open app tab which screen to show and focuses it; the tab is not navigated (a reload would drop its downloads)', async () => {
  const w = worker([{ url: `${ORIGIN}/downloads` }]);
  assert.deepEqual(await w.click('/g/family'), ['close', open(0, '/g/family'), 'focus tab0']);
});

test('focus refused (a click the browser did not dispatch): the screen still changes', async () => {
  const w = worker([{ url: `${ORIGIN}/` }], false);
  assert.deepEqual(await w.click('/downloads'), ['close', open(0, '/downloads'), 'focus tab0']);
});

test('a path naming another site, or none, opens the app\'s start page, never that site', async () => {
  for (const path of ['//elsewhere.example/x', 'https://elsewhere.example/', '/\\elsewhere.example', 42, undefined]) {
    const w = worker([{ url: `${ORIGIN}/downloads` }]);
    assert.deepEqual(await w.click(path), ['close', open(0, '/'), 'focus tab0'], String(path));
  }
  const none = worker([]);
  assert.deepEqual(await none.click('//elsewhere.example/x'), ['close', `openWindow ${ORIGIN}/`]);
});

test('no tab of the app open: a new one opens on that screen; a tab of another page of the origin (/metrics) is not the app', async () => {
  assert.deepEqual(await worker([]).click('/g/family'), ['close', `openWindow ${ORIGIN}/g/family`]);
  assert.deepEqual(await worker([{ url: `${ORIGIN}/metrics` }, { url: 'https://other.example/' }]).click('/downloads'), ['close', `openWindow ${ORIGIN}/downloads`]);
});

test('several app tabs: the focused one, else a visible one, else the one used last', async () => {
  const tabs = (focused: number | undefined, visible: number | undefined): Tab[] =>
    [0, 1, 2].map((i) => ({ url: `${ORIGIN}/`, focused: i === focused, visibilityState: i === visible ? 'visible' : 'hidden' }));
  assert.deepEqual(await worker(tabs(2, 1)).click('/downloads'), ['close', open(2, '/downloads'), 'focus tab2']);
  assert.deepEqual(await worker(tabs(undefined, 1)).click('/downloads'), ['close', open(1, '/downloads'), 'focus tab1']);
  assert.deepEqual(await worker(tabs(undefined, undefined)).click('/downloads'), ['close', open(0, '/downloads'), 'focus tab0']);
});
