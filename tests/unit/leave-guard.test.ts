import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installLeaveGuard, servedNow } from '../../web/src/ui/leave-guard.ts';
import type { DownloadView } from '../../web/src/ui/transfers.svelte.ts';

const view = (name: string, state: DownloadView['state'], servingTo: string[]): DownloadView => ({
  fileId: name, groupId: 'films', name, size: 10, state, shared: true, needsSource: false, bytesDone: 10, speed: 0, peers: [], unreachable: [], pieces: [], servingTo,
});

test('only files held whole that someone is still fetching count', () => {
  assert.deepEqual(servedNow([view('a', 'complete', ['bob']), view('b', 'complete', []), view('c', 'downloading', ['carol'])]), [{ name: 'a', to: ['bob'] }]);
  assert.deepEqual(servedNow([]), []);
});

test('the beforeunload listener asks only while someone fetches from the tab', () => {
  let listener: ((e: BeforeUnloadEvent) => void) | undefined;
  const target = {
    addEventListener: (_: string, l: (e: BeforeUnloadEvent) => void) => (listener = l),
    removeEventListener: () => (listener = undefined),
  } as unknown as Pick<Window, 'addEventListener' | 'removeEventListener'>;
  let held = [view('a', 'complete', ['bob'])];
  const off = installLeaveGuard(target, () => held);
  const event = () => {
    const e = { prevented: false, returnValue: undefined as unknown, preventDefault() { this.prevented = true; } };
    listener!(e as unknown as BeforeUnloadEvent);
    return e;
  };
  assert.equal(event().prevented, true);
  held = [view('a', 'complete', [])];
  assert.equal(event().prevented, false);
  off();
  assert.equal(listener, undefined);
});
