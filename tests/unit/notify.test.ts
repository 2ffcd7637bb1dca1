/** When a browser notification is shown and what it says (web/src/ui/notify.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notificationOf, shouldNotify, showing, toggleWords } from '../../web/src/ui/notify.ts';

const download = { kind: 'download', name: 'notes.bin' } as const;
const join = { kind: 'join', userId: 'bob', groupId: 'photos' } as const;
const groupPage = (groupId: string) => ({ page: 'group', groupId, invite: undefined }) as const;

test('shown only when asked for and allowed, and not when the focused tab already shows that screen', () => {
  const base = { enabled: true, permission: 'granted', focused: true, route: { page: 'groups' }, about: download } as const;
  assert.equal(shouldNotify(base), true, 'focused, but on another screen');
  assert.equal(shouldNotify({ ...base, enabled: false }), false, 'not asked for');
  assert.equal(shouldNotify({ ...base, permission: 'default' }), false, 'not allowed');
  assert.equal(shouldNotify({ ...base, permission: 'denied' }), false);
  assert.equal(shouldNotify({ ...base, route: { page: 'downloads' } }), false, 'the downloads page already says it');
  assert.equal(shouldNotify({ ...base, route: { page: 'downloads' }, focused: false }), true, 'in the background it is news');
  assert.equal(shouldNotify({ ...base, about: join, route: groupPage('photos') }), false, 'the group page lists the request');
  assert.equal(shouldNotify({ ...base, about: join, route: groupPage('other') }), true, 'another group\'s page does not');
  assert.equal(showing(groupPage('photos'), download), false);
});

test('what a notification says, and the path its click opens', () => {
  assert.deepEqual(notificationOf(download), { title: 'notes.bin is downloaded', body: 'Save it from the Downloads page.', tag: 'download:notes.bin', path: '/downloads' });
  assert.deepEqual(notificationOf({ kind: 'join', userId: 'bob', groupId: 'a b' }), {
    title: 'bob asks to join a b',
    body: 'Open the group to accept or reject.',
    tag: 'join:a b:bob',
    path: '/g/a%20b',
  });
  assert.match(toggleWords('denied', false), /blocked/);
  assert.match(toggleWords('unsupported', false), /cannot/);
});
