/** Groups: create, join (by request or invite), decide, leave, list. */
import { INVITE_DEFAULT_TTL_MS } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { hlcToMs } from '../../protocol/ops.ts';
import { hashToken, randomId } from '../auth.ts';
import { inviteAdmits } from '../state/apply.ts';
import { memberCount, statusIn } from '../state/queries.ts';
import { DEFAULT_QUOTAS, groupCreateRefusal, inviteRefusal, joinRequestRefusal } from '../quotas.ts';
import { fail, requireGroup, requireMember, requireOwner, requireSession, type Handler } from './context.ts';

const INVITE_EXPIRED = 'this invite link has expired; ask the owner for a new one, or ask to join';
const INVITE_NOT_FOR_YOU = (groupId: string) =>
  `this invite was made before you left ${groupId} (or were removed), so it cannot bring you back; ask the owner for a new invite, or ask to join`;

export const createGroup: Handler<'create_group'> = async (ctx, { groupId }) => {
  const { userId, userKey } = requireSession(ctx);
  if (ctx.core.state.groups.has(groupId)) fail(ErrorCode.GroupExists, `the group ${groupId} already exists`);
  const refused = groupCreateRefusal(ctx.core.state, ctx.core.config.quotas ?? DEFAULT_QUOTAS, userId);
  if (refused) fail(ErrorCode.QuotaExceeded, refused);
  await ctx.commit({ kind: 'group_created', groupId, by: userId, byKey: userKey });
  return { groupId };
};

export const joinGroup: Handler<'join_group'> = async (ctx, { groupId, invite }) => {
  const { userId, userKey } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  const status = statusIn(group, userId);
  if (status === 'owner' || status === 'member') fail(ErrorCode.AlreadyMember, `you are already a member of ${groupId}`);
  if (invite !== undefined) {
    const tokenHash = hashToken(invite);
    const record = ctx.core.state.invites.get(tokenHash);
    if (!record || record.groupKey !== group.key) fail(ErrorCode.NoSuchInvite, 'this invite link is not valid for this group');
    // Judged as the fold will judge it: at the time the op will carry (the
    // hybrid clock's, which may be a little ahead of this host's wall clock).
    if (ctx.core.clock.nowMs() > record!.expiresAt) fail(ErrorCode.InviteExpired, INVITE_EXPIRED);
    if (!inviteAdmits(group, record!, userId)) fail(ErrorCode.InviteNotForYou, INVITE_NOT_FOR_YOU(groupId));
    const { op, effective } = await ctx.commit({ kind: 'invite_used', groupKey: group.key, tokenHash, by: userId, byKey: userKey });
    // Nothing can slip in between the checks and the commit, but say so
    // rather than answer ok if the fold did not admit: never a silent no.
    if (!effective) {
      if (hlcToMs(op.hlc) > record!.expiresAt) fail(ErrorCode.InviteExpired, INVITE_EXPIRED);
      fail(ErrorCode.NoSuchInvite, 'this invite link is no longer valid for this group');
    }
    return { groupId, status: statusIn(group, userId) };
  }
  if (status === 'pending') fail(ErrorCode.AlreadyRequested, `you have already asked to join ${groupId}`);
  const refused = joinRequestRefusal(ctx.core.config.quotas ?? DEFAULT_QUOTAS, group);
  if (refused) fail(ErrorCode.QuotaExceeded, refused);
  await ctx.commit({ kind: 'join_requested', groupKey: group.key, by: userId, byKey: userKey });
  return { groupId, status: 'pending' };
};

export const leaveGroup: Handler<'leave_group'> = async (ctx, { groupId }) => {
  const { userId, userKey } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  const status = statusIn(group, userId);
  if (status === 'none' || status === 'rejected') fail(ErrorCode.NotMember, `you are not in ${groupId}`);
  await ctx.commit({ kind: 'member_left', groupKey: group.key, by: userId, byKey: userKey });
  return { groupId };
};

export const listRequests: Handler<'list_requests'> = (ctx, { groupId }) => {
  const { userId } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireOwner(group, userId);
  const requests = [...group.members]
    .filter(([, m]) => m.status === 'pending')
    .map(([requester, m]) => ({ userId: requester, requestedAt: hlcToMs(m.since) }))
    .sort((a, b) => a.requestedAt - b.requestedAt);
  return { requests };
};

const decide =
  (kind: 'request_accepted' | 'request_rejected'): Handler<'accept_request' | 'reject_request'> =>
  async (ctx, { groupId, userId: requester }) => {
    const { userId, userKey } = requireSession(ctx);
    const group = requireGroup(ctx, groupId);
    requireOwner(group, userId);
    if (group.members.get(requester)?.status !== 'pending') {
      fail(ErrorCode.NoSuchRequest, `${requester} has no pending request to join ${groupId}`);
    }
    await ctx.commit({ kind, groupKey: group.key, userId: requester, by: userId, byKey: userKey });
    return {};
  };
export const acceptRequest = decide('request_accepted') as Handler<'accept_request'>;
export const rejectRequest = decide('request_rejected') as Handler<'reject_request'>;

export const listGroups: Handler<'list_groups'> = (ctx) => {
  const { userId } = requireSession(ctx);
  const groups = [...ctx.core.state.groups.values()]
    .map((g) => ({ groupId: g.groupId, owner: g.owner, members: memberCount(g), status: statusIn(g, userId) }))
    .sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  return { groups };
};

export const listMembers: Handler<'list_members'> = (ctx, { groupId }) => {
  const { userId } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireMember(group, userId);
  const members = [...group.members]
    .filter(([, m]) => m.status === 'member')
    .map(([member, m]) => ({ userId: member, role: member === group.owner ? ('owner' as const) : ('member' as const), since: hlcToMs(m.since) }))
    .sort((a, b) => a.since - b.since);
  return { members };
};

export const createInvite: Handler<'create_invite'> = async (ctx, { groupId, ttlMs }) => {
  const { userId, userKey } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireOwner(group, userId);
  const refused = inviteRefusal(ctx.core.state, ctx.core.config.quotas ?? DEFAULT_QUOTAS, group, Date.now());
  if (refused) fail(ErrorCode.QuotaExceeded, refused);
  const token = randomId(18);
  // In the clock's time, the time the fold judges expiry in.
  const expiresAt = ctx.core.clock.nowMs() + (ttlMs ?? INVITE_DEFAULT_TTL_MS);
  await ctx.commit({ kind: 'invite_created', groupKey: group.key, tokenHash: hashToken(token), expiresAt, by: userId, byKey: userKey });
  return { token, expiresAt };
};
