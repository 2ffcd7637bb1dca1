/**
 * The app's shared UI state classes (`*.svelte.ts`), compiled by Svelte's own
 * compiler exactly as Vite builds them (tests/helpers/svelte-loader.mjs), so
 * the $state/$derived runes under test are the real ones. $derived values are
 * read through the getters, which is how components read them too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../helpers/svelte-modules.ts';
import type { GroupSummary } from '../../protocol/tracker.ts';

const { SessionState } = await import('../../web/src/ui/session.svelte.ts');
const { NoticesState } = await import('../../web/src/ui/notices.svelte.ts');
const { GroupsState, GroupView } = await import('../../web/src/ui/groups.svelte.ts');
const { RouterState } = await import('../../web/src/ui/router.svelte.ts');
const { ConnectionState } = await import('../../web/src/ui/connection.svelte.ts');
const { TransfersState } = await import('../../web/src/ui/transfers.svelte.ts');
const { ConsoleState } = await import('../../web/src/ui/console.svelte.ts');

class MapStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

test('a session is stored for the next visit and forgotten on sign-out', () => {
  const storage = new MapStorage();
  const first = new SessionState(storage);
  assert.equal(first.signedIn, false);
  first.signedInAs('alice', 'tok-123');
  assert.equal(first.userId, 'alice');
  // A reload: a new state over the same storage finds the session.
  const second = new SessionState(storage);
  assert.deepEqual(second.stored(), { userId: 'alice', token: 'tok-123' });
  second.reset();
  assert.equal(new SessionState(storage).stored(), undefined);
});

test('a corrupt or blocked storage means no stored session, not a crash', () => {
  const storage = new MapStorage();
  storage.setItem('meshdrop.session', '{not json');
  assert.equal(new SessionState(storage).stored(), undefined);
  const blocked = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => { throw new Error('SecurityError'); }, removeItem: () => { throw new Error('SecurityError'); } };
  const s = new SessionState(blocked);
  assert.equal(s.stored(), undefined);
  s.signedInAs('bob', 'tok');
  assert.equal(s.userId, 'bob');
  s.reset();
  assert.equal(s.signedIn, false);
});

test('notices: news fades, errors stay, duplicates collapse, the list is bounded', async () => {
  const n = new NoticesState(30);
  n.push('info', 'bob asks to join photos.', { href: '/g/photos', action: 'Review' });
  const err = n.push('error', 'Wrong user name or password.');
  n.push('error', 'Wrong user name or password.');
  assert.equal(n.items.length, 2, 'the same words twice show once');
  assert.deepEqual(n.items[0], { id: 1, kind: 'info', text: 'bob asks to join photos.', href: '/g/photos', action: 'Review' });
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(n.items.map((i) => i.kind), ['error'], 'the info faded, the error stayed');
  n.dismiss(n.items[0]!.id);
  assert.equal(n.items.length, 0);
  assert.ok(err > 0);
  for (let i = 0; i < 9; i++) n.push('error', `e${i}`);
  assert.deepEqual(n.items.map((i) => i.text), ['e4', 'e5', 'e6', 'e7', 'e8']);
  n.reset();
  assert.equal(n.items.length, 0);
});

const g = (groupId: string, status: GroupSummary['status'], owner = 'alice'): GroupSummary => ({ groupId, owner, members: 1, status });

test('groups are split by my status, owned first', () => {
  const s = new GroupsState();
  assert.equal(s.loaded, false);
  s.set([g('zoo', 'none'), g('band', 'member'), g('photos', 'owner'), g('art', 'pending'), g('old', 'rejected')]);
  assert.equal(s.loaded, true);
  assert.deepEqual(s.mine.map((x) => x.groupId), ['photos', 'band']);
  assert.deepEqual(s.pending.map((x) => x.groupId), ['art']);
  assert.deepEqual(s.others.map((x) => x.groupId), ['old', 'zoo']);
  assert.equal(s.statusOf('band'), 'member');
  assert.equal(s.statusOf('nowhere'), 'none');
  s.setStatus('zoo', 'pending');
  assert.deepEqual(s.pending.map((x) => x.groupId), ['art', 'zoo']);
  s.setStatus('fresh', 'owner', 'alice');
  assert.equal(s.find('fresh')?.owner, 'alice');
  s.reset();
  assert.equal(s.all.length, 0);
  assert.equal(s.loaded, false);
});

test('the group view follows one group: events for others are ignored, switching clears', () => {
  const v = new GroupView();
  v.open('photos');
  const file = (fileId: string, groupId: string, sharedAt: number) => ({ fileId, groupId, name: fileId, size: 1, pieceCount: 1, sharedBy: 'a', sharedAt, holdersOnline: 1 });
  v.setFiles([file('a', 'photos', 1)]);
  v.upsertFile(file('b', 'photos', 2));
  v.upsertFile(file('x', 'band', 3));
  assert.deepEqual(v.files.map((f) => f.fileId), ['b', 'a'], 'newest first, other groups ignored');
  v.upsertFile({ ...file('a', 'photos', 1), holdersOnline: 3 });
  assert.equal(v.files.find((f) => f.fileId === 'a')?.holdersOnline, 3);
  v.removeFile('b');
  v.setRequests([{ userId: 'bob', requestedAt: 1 }, { userId: 'carol', requestedAt: 2 }]);
  v.removeRequest('bob');
  assert.deepEqual(v.requests.map((r) => r.userId), ['carol']);
  v.setInvite({ link: 'http://x/g/photos?invite=t', expiresAt: 5 });
  v.open('photos');
  assert.equal(v.files.length, 1, 'opening the same group keeps what is shown');
  v.open('band');
  assert.equal(v.groupId, 'band');
  assert.deepEqual([v.files.length, v.requests.length, v.invite], [0, 0, undefined]);
});

test('the router reads the address, writes history, and drops a used invite', () => {
  const calls: string[] = [];
  const history = { pushState: (_: unknown, __: string, url: string) => calls.push(`push ${url}`), replaceState: (_: unknown, __: string, url: string) => calls.push(`replace ${url}`) };
  const r = new RouterState({ pathname: '/g/photos', search: '?invite=abcdefghijklmnopqrst' }, history);
  assert.deepEqual(r.route, { page: 'group', groupId: 'photos', invite: 'abcdefghijklmnopqrst' });
  r.dropInvite();
  assert.deepEqual(r.route, { page: 'group', groupId: 'photos', invite: undefined });
  r.goPath('/downloads');
  assert.deepEqual(r.route, { page: 'downloads' });
  r.sync({ pathname: '/', search: '' });
  assert.deepEqual(r.route, { page: 'groups' });
  assert.deepEqual(calls, ['replace /g/photos', 'push /downloads']);
});

test('connection status names the tracker and counts moves to another', () => {
  const c = new ConnectionState();
  assert.equal(c.label, 'Connecting…', 'a new tab is dialling, not failing');
  c.setStatus('idle', undefined);
  assert.equal(c.label, 'No tracker reachable');
  c.setStatus('connecting', 'ws://127.0.0.1:4000/ws');
  assert.equal(c.label, 'Connecting…');
  c.ready('ws://127.0.0.1:4000/ws', 'tracker-a');
  assert.equal(c.label, 'Connected to tracker-a');
  assert.equal(c.host, '127.0.0.1:4000');
  c.setStatus('reconnecting', undefined);
  assert.equal(c.label, 'Reconnecting… (was tracker-a)');
  // As TrackerClient does it: the status event names the new tracker before 'ready' does.
  c.setStatus('connected', 'ws://127.0.0.1:4001/ws');
  c.ready('ws://127.0.0.1:4001/ws', 'tracker-b');
  assert.equal(c.failovers, 1);
  assert.equal(c.label, 'Connected to tracker-b');
  c.reset();
  assert.equal(c.status, 'connecting');
  assert.equal(c.failovers, 0);
});

test('transfers: hashing progress per file, downloads exclude shared files', () => {
  const t = new TransfersState();
  const k1 = t.startShare('photos', 'a.bin', 10);
  const k2 = t.startShare('band', 'b.bin', 10);
  t.shareProgress(k1, 0.5);
  t.shareProgress(k2, 7); // clamped
  assert.deepEqual(t.sharesIn('photos').map((s) => [s.name, s.progress, s.state]), [['a.bin', 0.5, 'hashing']]);
  assert.equal(t.sharesIn('band')[0]!.progress, 1);
  t.shareDone(k1);
  t.shareFailed(k2, 'Your browser has run out of storage space for this site.');
  assert.equal(t.sharesIn('photos')[0]!.state, 'shared');
  assert.equal(t.sharesIn('band')[0]!.error, 'Your browser has run out of storage space for this site.');
  t.dismissShare(k1);
  assert.equal(t.sharesIn('photos').length, 0);
  const view = (fileId: string, state: 'downloading' | 'complete', shared: boolean) => ({
    fileId, groupId: 'photos', name: fileId, size: 10, state, shared, needsSource: false, bytesDone: state === 'complete' ? 10 : 5, speed: 0, peers: [], unreachable: [], pieces: [],
  });
  t.setDownloads([view('z-done', 'complete', false), view('mine', 'complete', true), view('a-going', 'downloading', false)]);
  assert.deepEqual(t.downloads.map((d) => d.fileId), ['a-going', 'z-done'], 'downloading first; shared files are not downloads');
  assert.equal(t.held.length, 3);
  assert.equal(t.download('mine')?.shared, true);
  t.reset();
  assert.deepEqual([t.downloads.length, t.shares.length, t.available], [0, 0, false]);
});

test('console history walks back and forth; the transcript is bounded', () => {
  const c = new ConsoleState();
  c.remember('list_groups');
  c.remember('list_groups');
  c.remember('login alice ');
  assert.equal(c.previous(), 'login alice ');
  assert.equal(c.previous(), 'list_groups');
  assert.equal(c.previous(), 'list_groups', 'stays at the oldest');
  assert.equal(c.next(), 'login alice ');
  assert.equal(c.next(), '');
  for (let i = 0; i < 600; i++) c.print('output', [`line ${i}`]);
  assert.equal(c.lines.length, 500);
  assert.equal(c.lines.at(-1)!.text, 'line 599');
  c.clear();
  assert.equal(c.lines.length, 0);
});

test('notices: answering a join request retires its notice at once', () => {
  const n = new NoticesState(0);
  n.push('info', 'bob asks to join photos.', { href: '/g/photos', action: 'Review' });
  n.push('info', 'carol asks to join photos.', { href: '/g/photos', action: 'Review' });
  n.dismissText('bob asks to join photos.');
  assert.deepEqual(n.items.map((i) => i.text), ['carol asks to join photos.']);
});
