/**
 * The owner's doors over raw frames: list and revoke invites (by public id,
 * never the token), remove a member; and the rule that an old invite does not
 * bring back someone who left or was removed. Refusals change nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { rawUser } from '../helpers/raw-user.ts';
import { eventually, startTestTracker, type Teardown } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

async function world(t: Teardown) {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const olga = await rawUser(t, url, 'olga');
  const mia = await rawUser(t, url, 'mia');
  const nina = await rawUser(t, url, 'nina');
  await olga.ok('create_group', { groupId: 'g' });
  return { tracker, url, olga, mia, nina };
}

const members = async (u: { ok: (type: string, body: Record<string, unknown>) => Promise<Record<string, unknown>> }) =>
  ((await u.ok('list_members', { groupId: 'g' })).members as { userId: string }[]).map((m) => m.userId).sort();

test('owners list invites by id (never the token) and revoke them; a revoked link admits nobody', async (t) => {
  const { tracker, olga, mia, nina } = await world(t);
  const first = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  const second = (await olga.ok('create_invite', { groupId: 'g', ttlMs: 60_000 })).token as string;
  const listed = (await olga.ok('list_invites', { groupId: 'g' })).invites as { inviteId: string; createdBy: string; expiresAt: number }[];
  assert.equal(listed.length, 2);
  assert.ok(listed.every((i) => i.createdBy === 'olga' && /^[\w-]+:\d+$/.test(i.inviteId)));
  assert.ok(!JSON.stringify(listed).includes(first) && !JSON.stringify(listed).includes(second), 'no token in the list');

  // Only the owner lists or revokes; a refusal changes nothing.
  const before = stateDigest(tracker.core.state);
  assert.equal(await mia.refused('list_invites', { groupId: 'g' }), ErrorCode.Forbidden);
  assert.equal(await mia.refused('revoke_invite', { groupId: 'g', inviteId: listed[0]!.inviteId }), ErrorCode.Forbidden);
  assert.equal(await olga.refused('revoke_invite', { groupId: 'g', inviteId: 'nope:1' }), ErrorCode.NoSuchInvite);
  assert.equal(await olga.refused('revoke_invite', { groupId: 'g', inviteId: 'a token, not an id' }), ErrorCode.InvalidMessage);
  assert.equal(stateDigest(tracker.core.state), before);

  await olga.ok('revoke_invite', { groupId: 'g', inviteId: listed[0]!.inviteId });
  assert.equal(await olga.refused('revoke_invite', { groupId: 'g', inviteId: listed[0]!.inviteId }), ErrorCode.NoSuchInvite, 'revoked once');
  const left = (await olga.ok('list_invites', { groupId: 'g' })).invites as { inviteId: string }[];
  assert.deepEqual(left.map((i) => i.inviteId), [listed[1]!.inviteId]);
  assert.equal(await mia.refused('join_group', { groupId: 'g', invite: first }), ErrorCode.NoSuchInvite);
  assert.deepEqual(await nina.ok('join_group', { groupId: 'g', invite: second }).then((r) => r.status), 'member', 'the other link still works');
});

test('the owner removes a member: out at once, their tabs hear it, they lose the files, and old invites cannot bring them back', async (t) => {
  const { tracker, url, olga, mia, nina } = await world(t);
  const token = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  await mia.ok('join_group', { groupId: 'g', invite: token });
  const miaTab2 = await rawUser(t, url, 'mia', { create: false });
  const { fileId, meta } = randomFile('g');
  await olga.ok('upload_file', { fileId, meta });
  await olga.ok('announce', { fileId, bitfield: Bitfield.full(meta.pieceHashes.length).toBase64() });
  await mia.ok('get_holders', { fileId });
  await mia.ok('announce', { fileId, bitfield: new Bitfield(meta.pieceHashes.length).toBase64() });

  // Refusals first: only the owner removes, only members, never the owner.
  const before = stateDigest(tracker.core.state);
  assert.equal(await mia.refused('remove_member', { groupId: 'g', userId: 'olga' }), ErrorCode.Forbidden);
  assert.equal(await olga.refused('remove_member', { groupId: 'g', userId: 'olga' }), ErrorCode.Forbidden);
  assert.equal(await olga.refused('remove_member', { groupId: 'g', userId: 'nina' }), ErrorCode.NoSuchMember);
  assert.equal(await olga.refused('remove_member', { groupId: 'nope', userId: 'mia' }), ErrorCode.NoSuchGroup);
  assert.equal(stateDigest(tracker.core.state), before);

  await olga.ok('remove_member', { groupId: 'g', userId: 'mia' });
  assert.deepEqual(await members(olga), ['olga']);
  for (const tab of [mia, miaTab2]) {
    await eventually(() => assert.ok(tab.events.some((e) => e.event === 'members_changed' && e.groupId === 'g'), 'every tab of mia hears it'));
  }
  const holders = ((await olga.ok('get_holders', { fileId })).holders as { userId: string }[]).map((h) => h.userId);
  assert.deepEqual(holders, [], 'her holding ended');
  assert.equal(await mia.refused('get_file', { fileId }), ErrorCode.NoSuchFile);
  assert.equal(await mia.refused('list_files', { groupId: 'g' }), ErrorCode.NotMember);
  const groups = (await mia.ok('list_groups')).groups as { groupId: string; status: string }[];
  assert.equal(groups.find((g) => g.groupId === 'g')?.status, 'none');

  // The link she came in by does not bring her back; it still admits others.
  assert.equal(await mia.refused('join_group', { groupId: 'g', invite: token }), ErrorCode.InviteNotForYou);
  assert.equal((await nina.ok('join_group', { groupId: 'g', invite: token })).status, 'member');
  // A new invite, made after she was removed, does; so would a join request the owner accepts.
  const fresh = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  assert.equal((await mia.ok('join_group', { groupId: 'g', invite: fresh })).status, 'member');
  assert.deepEqual(await members(olga), ['mia', 'nina', 'olga']);
});

test('a member who left cannot come back through an invite made before they left', async (t) => {
  const { olga, mia } = await world(t);
  const token = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  await mia.ok('join_group', { groupId: 'g', invite: token });
  await mia.ok('leave_group', { groupId: 'g' });
  assert.equal(await mia.refused('join_group', { groupId: 'g', invite: token }), ErrorCode.InviteNotForYou);
  assert.equal((await mia.ok('join_group', { groupId: 'g' })).status, 'pending', 'a join request is still open to her');
  await olga.ok('accept_request', { groupId: 'g', userId: 'mia' });
  assert.deepEqual(await members(olga), ['mia', 'olga']);
});

test('removal and revocation replicate: a removed member is out on the other tracker too', async (t) => {
  const a = await startTestTracker(t, { trackerId: 'ta', secret: 'shared-secret' });
  const b = await startTestTracker(t, { trackerId: 'tb', secret: 'shared-secret', peers: [`ws://127.0.0.1:${a.port}`] });
  const olga = await rawUser(t, a.wsUrl, 'olga');
  await olga.ok('create_group', { groupId: 'g' });
  const token = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  const spare = (await olga.ok('create_invite', { groupId: 'g' })).token as string;
  const mia = await eventually(() => rawUser(t, b.wsUrl, 'mia'));
  await eventually(async () => assert.equal((await mia.ask('join_group', { groupId: 'g', invite: token })).ok, true, 'the invite reached b'));
  await eventually(async () => assert.deepEqual(await members(olga), ['mia', 'olga']));
  const inviteIds = ((await olga.ok('list_invites', { groupId: 'g' })).invites as { inviteId: string }[]).map((i) => i.inviteId);
  await olga.ok('revoke_invite', { groupId: 'g', inviteId: inviteIds[1]! });
  await olga.ok('remove_member', { groupId: 'g', userId: 'mia' });
  await eventually(() => assert.ok(mia.events.some((e) => e.event === 'members_changed'), 'mia hears it on b'));
  await eventually(async () => assert.equal(await mia.refused('list_files', { groupId: 'g' }), ErrorCode.NotMember));
  await eventually(async () => assert.equal(await mia.refused('join_group', { groupId: 'g', invite: spare }), ErrorCode.NoSuchInvite, 'revoked on b too'));
  await eventually(() => assert.equal(stateDigest(a.core.state), stateDigest(b.core.state), 'one state on both'));
});
