/**
 * The authorization matrix: every session-gated request × {no session,
 * non-member, pending member, member, owner}. Allowed exactly where it should
 * be; a refusal answers with the right code and changes nothing (same state
 * digest, same op count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { RequestType } from '../../protocol/tracker.ts';
import type { TrackerClient, RequestBody } from '../../client/tracker.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import type { RunningTracker } from '../../tracker-server/server.ts';
import { connectClient, startTestTracker, userClient } from '../helpers/tracker.ts';
import { randomFile } from '../helpers/files.ts';

const ROLES = ['none', 'nonmember', 'pending', 'member', 'owner'] as const;
type Role = (typeof ROLES)[number];
const OK = 'ok';
type Outcome = typeof OK | ErrorCode;

interface World {
  tracker: RunningTracker;
  clients: Record<Role, TrackerClient>;
  fileId: string;
  pieces: number;
}

/** A group `g` owned by olga, with mia a member, pete pending, nina outside; olga shares a file. */
async function world(t: Parameters<typeof startTestTracker>[0]): Promise<World> {
  const tracker = await startTestTracker(t);
  const url = tracker.wsUrl;
  const owner = await userClient(t, url, 'olga');
  const member = await userClient(t, url, 'mia');
  const pending = await userClient(t, url, 'pete');
  const nonmember = await userClient(t, url, 'nina');
  const none = await connectClient(t, url);
  await owner.request('create_group', { groupId: 'g' });
  await member.request('join_group', { groupId: 'g' });
  await owner.request('accept_request', { groupId: 'g', userId: 'mia' });
  await pending.request('join_group', { groupId: 'g' });
  const { fileId, meta } = randomFile('g');
  await owner.request('upload_file', { fileId, meta });
  await owner.announce(fileId, Bitfield.full(meta.pieceHashes.length));
  await member.announce(fileId, new Bitfield(meta.pieceHashes.length));
  return { tracker, clients: { none, nonmember, pending, member, owner }, fileId, pieces: meta.pieceHashes.length };
}

interface Case {
  type: RequestType;
  body: (w: World, role: Role) => Record<string, unknown>;
  expect: Record<Role, Outcome>;
}

const U = ErrorCode.Unauthenticated;
const NM = ErrorCode.NotMember;
/** File requests by a non-member answer like a missing file: no oracle for file ids. */
const NF = ErrorCode.NoSuchFile;
const F = ErrorCode.Forbidden;

const cases: Case[] = [
  { type: 'create_group', body: (_, r) => ({ groupId: `new-${r}` }), expect: { none: U, nonmember: OK, pending: OK, member: OK, owner: OK } },
  {
    type: 'join_group',
    body: () => ({ groupId: 'g' }),
    expect: { none: U, nonmember: OK, pending: ErrorCode.AlreadyRequested, member: ErrorCode.AlreadyMember, owner: ErrorCode.AlreadyMember },
  },
  { type: 'leave_group', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: NM, pending: OK, member: OK, owner: OK } },
  { type: 'list_requests', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: F, pending: F, member: F, owner: OK } },
  { type: 'accept_request', body: () => ({ groupId: 'g', userId: 'pete' }), expect: { none: U, nonmember: F, pending: F, member: F, owner: OK } },
  { type: 'reject_request', body: () => ({ groupId: 'g', userId: 'pete' }), expect: { none: U, nonmember: F, pending: F, member: F, owner: OK } },
  { type: 'list_groups', body: () => ({}), expect: { none: U, nonmember: OK, pending: OK, member: OK, owner: OK } },
  { type: 'list_members', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: NM, pending: NM, member: OK, owner: OK } },
  { type: 'create_invite', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: F, pending: F, member: F, owner: OK } },
  { type: 'list_invites', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: F, pending: F, member: F, owner: OK } },
  {
    type: 'remove_member',
    body: () => ({ groupId: 'g', userId: 'mia' }),
    expect: { none: U, nonmember: F, pending: F, member: F, owner: OK },
  },
  {
    type: 'upload_file',
    body: (_, r) => randomFile('g', `from-${r}.bin`),
    expect: { none: U, nonmember: NM, pending: NM, member: OK, owner: OK },
  },
  { type: 'list_files', body: () => ({ groupId: 'g' }), expect: { none: U, nonmember: NM, pending: NM, member: OK, owner: OK } },
  { type: 'get_file', body: (w) => ({ fileId: w.fileId }), expect: { none: U, nonmember: NF, pending: NF, member: OK, owner: OK } },
  { type: 'get_holders', body: (w) => ({ fileId: w.fileId }), expect: { none: U, nonmember: NF, pending: NF, member: OK, owner: OK } },
  {
    type: 'announce',
    body: (w) => ({ fileId: w.fileId, bitfield: new Bitfield(w.pieces).toBase64() }),
    expect: { none: U, nonmember: NF, pending: NF, member: OK, owner: OK },
  },
  { type: 'have', body: () => ({}), expect: { none: U, nonmember: NF, pending: NF, member: OK, owner: OK } },
  {
    type: 'signal',
    // members signal each other; everyone else tries to reach the owner
    body: (w, r) => ({ fileId: w.fileId, to: (r === 'owner' ? w.clients.member : w.clients.owner).peerId, data: { sdp: 'x' } }),
    expect: { none: U, nonmember: NF, pending: NF, member: OK, owner: OK },
  },
  { type: 'stop_share', body: (w) => ({ fileId: w.fileId }), expect: { none: U, nonmember: NF, pending: NF, member: F, owner: OK } },
  { type: 'unannounce', body: (w) => ({ fileId: w.fileId }), expect: { none: U, nonmember: OK, pending: OK, member: OK, owner: OK } },
  { type: 'logout', body: () => ({}), expect: { none: U, nonmember: OK, pending: OK, member: OK, owner: OK } },
];

for (const c of cases) {
  test(`authorization: ${c.type}`, async (t) => {
    const w = await world(t);
    for (const role of ROLES) {
      const body = c.type === 'have' ? { fileId: w.fileId, pieces: [0] } : c.body(w, role);
      const before = { digest: stateDigest(w.tracker.core.state), ops: w.tracker.core.replica.size };
      const outcome = await w.clients[role].request(c.type, body as RequestBody<typeof c.type>).then(
        () => OK,
        (err: { code: ErrorCode }) => err.code,
      );
      assert.equal(outcome, c.expect[role], `${c.type} as ${role}`);
      if (outcome !== OK) {
        assert.deepEqual(
          { digest: stateDigest(w.tracker.core.state), ops: w.tracker.core.replica.size },
          before,
          `a refused ${c.type} as ${role} changed nothing`,
        );
      }
    }
  });
}

test('signals are relayed only between two online members of the file\'s group', async (t) => {
  const w = await world(t);
  const { member, owner, nonmember, pending } = w.clients;
  const send = (from: TrackerClient, to: TrackerClient) =>
    from.request('signal', { fileId: w.fileId, to: to.peerId!, data: {} }).then(() => OK, (e: { code: ErrorCode }) => e.code);
  assert.equal(await send(member, nonmember), ErrorCode.Forbidden, 'a member cannot reach a non-member');
  assert.equal(await send(member, pending), ErrorCode.Forbidden, 'nor a pending requester');
  assert.equal(await send(nonmember, owner), ErrorCode.NoSuchFile);
  assert.equal(
    await member.request('signal', { fileId: w.fileId, to: 'AAAAAAAAAAAAAAAA', data: {} }).then(() => OK, (e) => e.code),
    ErrorCode.PeerOffline,
  );
  owner.close();
  const ownerPeer = owner.peerId!;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(
    await member.request('signal', { fileId: w.fileId, to: ownerPeer, data: {} }).then(() => OK, (e) => e.code),
    ErrorCode.PeerOffline,
    'an offline peer cannot be signalled',
  );
});

test('a non-member never learns a group\'s holders or files', async (t) => {
  const w = await world(t);
  await assert.rejects(w.clients.nonmember.request('get_holders', { fileId: w.fileId }), { code: ErrorCode.NoSuchFile });
  await assert.rejects(w.clients.nonmember.request('list_files', { groupId: 'g' }), { code: ErrorCode.NotMember });
  const groups = (await w.clients.nonmember.request('list_groups', {})).groups;
  assert.deepEqual(groups, [{ groupId: 'g', owner: 'olga', members: 2, status: 'none' }]);
});
