/**
 * The owner's doors: list and revoke invites, remove a member. Each change is
 * an op, replicated like any other and re-validated by the fold on every
 * tracker (apply.ts invite_revoked, member_removed).
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { hlcToMs } from '../../protocol/ops.ts';
import { fail, requireGroup, requireOwner, requireSession, type Handler } from './context.ts';

export const listInvites: Handler<'list_invites'> = (ctx, { groupId }) => {
  const { userId } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireOwner(group, userId);
  const now = ctx.core.clock.nowMs();
  const invites = [...ctx.core.state.invites.values()]
    .filter((i) => i.groupKey === group.key && i.expiresAt >= now)
    .map((i) => ({ inviteId: i.key, createdBy: i.by, createdAt: hlcToMs(i.createdHlc), expiresAt: i.expiresAt }))
    .sort((a, b) => a.createdAt - b.createdAt || (a.inviteId < b.inviteId ? -1 : 1));
  return { invites };
};

export const revokeInvite: Handler<'revoke_invite'> = async (ctx, { groupId, inviteId }) => {
  const { userId, userKey } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireOwner(group, userId);
  // A scan of the invites: revoking is rare, and the state keys invites by token hash, which the owner never sees.
  let tokenHash: string | undefined;
  for (const [hash, invite] of ctx.core.state.invites) {
    if (invite.key === inviteId && invite.groupKey === group.key) tokenHash = hash;
  }
  if (tokenHash === undefined) return fail(ErrorCode.NoSuchInvite, `${groupId} has no invite ${inviteId} (it may have been revoked already)`);
  await ctx.commit({ kind: 'invite_revoked', groupKey: group.key, tokenHash, by: userId, byKey: userKey });
  return {};
};

export const removeMember: Handler<'remove_member'> = async (ctx, { groupId, userId: target }) => {
  const { userId, userKey } = requireSession(ctx);
  const group = requireGroup(ctx, groupId);
  requireOwner(group, userId);
  if (target === group.owner) fail(ErrorCode.Forbidden, `the owner cannot be removed from ${groupId}; to go, leave the group (the longest-standing member takes over)`);
  if (group.members.get(target)?.status !== 'member') {
    fail(ErrorCode.NoSuchMember, `${target} is not a member of ${groupId} (a pending request is answered with reject_request)`);
  }
  await ctx.commit({ kind: 'member_removed', groupKey: group.key, userId: target, by: userId, byKey: userKey });
  return {};
};
