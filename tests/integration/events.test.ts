/** Events reach whom they concern, and nobody else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { eventually, recordEvents, startTestTracker, userClient } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

test('group events go to members only; holder changes to watchers only', async (t) => {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const owner = await userClient(t, url, 'owner');
  const member = await userClient(t, url, 'member');
  const pending = await userClient(t, url, 'pending');
  const outsider = await userClient(t, url, 'outsider');
  const memberSecondTab = await userClient(t, url, 'member');
  await owner.request('create_group', { groupId: 'g' });
  await member.request('join_group', { groupId: 'g' });
  await owner.request('accept_request', { groupId: 'g', userId: 'member' });
  await pending.request('join_group', { groupId: 'g' });

  const seen = {
    owner: recordEvents(owner),
    member: recordEvents(member),
    memberSecondTab: recordEvents(memberSecondTab),
    pending: recordEvents(pending),
    outsider: recordEvents(outsider),
  };
  const { fileId, meta } = randomFile('g');
  await owner.request('upload_file', { fileId, meta });
  await eventually(() => {
    assert.ok(seen.member.some((e) => e.event === 'file_shared'));
    assert.ok(seen.memberSecondTab.some((e) => e.event === 'file_shared'), 'every tab of a member');
    assert.ok(seen.owner.some((e) => e.event === 'file_shared'));
  });

  // The member watches holders; the owner starts seeding.
  await member.request('get_holders', { fileId });
  await owner.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  await eventually(() => assert.ok(seen.member.some((e) => e.event === 'holders_changed' && e.userId === 'owner')));
  // The owner disconnects: watchers hear the holder went.
  owner.close();
  await eventually(() => assert.ok(seen.member.some((e) => e.event === 'holders_changed' && e.bitfield === null)));

  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen.pending, [], 'a pending requester hears nothing of the group');
  assert.deepEqual(seen.outsider, [], 'an outsider hears nothing');
  assert.ok(!seen.memberSecondTab.some((e) => e.event === 'holders_changed'), 'only watchers hear holder changes');
});

test('a logout elsewhere ends the same session in other tabs, with a reason', async (t) => {
  const tracker = await startTestTracker(t);
  const tab1 = await userClient(t, tracker.wsUrl, 'ann');
  const tab2 = await userClient(t, tracker.wsUrl, 'ann');
  const lost: string[] = [];
  tab2.on('sessionLost', ({ reason }) => lost.push(reason));
  // Same token in a third connection (a reload of tab1).
  const { connectClient } = await import('../helpers/tracker.ts');
  const reload = await connectClient(t, tracker.wsUrl);
  await reload.resume(tab1.token!);
  const reloadLost: string[] = [];
  reload.on('sessionLost', ({ reason }) => reloadLost.push(reason));
  await tab1.logout();
  await eventually(() => assert.equal(reloadLost.length, 1));
  assert.match(reloadLost[0]!, /logged out/);
  assert.deepEqual(lost, [], 'another session of the same user is not affected');
  assert.equal((await tab2.request('list_groups', {})).groups.length, 0);
});
