/** Request type → handler. `hello` and `ping` are the gateway's own. */
import type { RequestType } from '../../protocol/tracker.ts';
import type { Handler } from './context.ts';
import { iceServers } from './ice.ts';
import { createUser, listSessions, login, logout, logoutAll, resume, revokeSession } from './accounts.ts';
import { acceptRequest, createGroup, createInvite, joinGroup, leaveGroup, listGroups, listMembers, listRequests, rejectRequest } from './groups.ts';
import { listInvites, removeMember, revokeInvite } from './membership.ts';
import { getFile, listFiles, stopShare, uploadFile } from './files.ts';
import { announce, getHolders, have, signal, unannounce } from './presence.ts';
import { connectionOutcome } from './outcomes.ts';

export const handlers: { [T in Exclude<RequestType, 'hello' | 'ping'>]: Handler<T> } = {
  create_user: createUser,
  login,
  resume,
  logout,
  ice_servers: iceServers,
  list_sessions: listSessions,
  revoke_session: revokeSession,
  logout_all: logoutAll,
  create_group: createGroup,
  join_group: joinGroup,
  leave_group: leaveGroup,
  list_requests: listRequests,
  accept_request: acceptRequest,
  reject_request: rejectRequest,
  list_groups: listGroups,
  list_members: listMembers,
  create_invite: createInvite,
  list_invites: listInvites,
  revoke_invite: revokeInvite,
  remove_member: removeMember,
  upload_file: uploadFile,
  list_files: listFiles,
  get_file: getFile,
  stop_share: stopShare,
  announce,
  have,
  unannounce,
  get_holders: getHolders,
  signal,
  connection_outcome: connectionOutcome,
};
