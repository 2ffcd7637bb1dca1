/**
 * Error and close codes shared by tracker and client. Code checks compare
 * these constants, never message text.
 */
export const ErrorCode = {
  /** The message is not JSON, or not an object. */
  BadJson: 'bad_json',
  /** The message type is not one this tracker knows. */
  UnknownType: 'unknown_type',
  /** A field is missing, has the wrong type, or is out of range. */
  InvalidMessage: 'invalid_message',
  /** hello was not the first message, or came twice. */
  HelloFirst: 'hello_first',
  /** The client speaks another protocol version. */
  VersionMismatch: 'version_mismatch',
  /** The request needs a logged-in session. */
  Unauthenticated: 'unauthenticated',
  /** The session is logged in but may not do this. */
  Forbidden: 'forbidden',
  /** Wrong user id or password (never says which). */
  BadCredentials: 'bad_credentials',
  /** Too many failed logins; try later. */
  RateLimited: 'rate_limited',
  /** A session token that is unknown, revoked or expired. */
  InvalidSession: 'invalid_session',
  UserExists: 'user_exists',
  GroupExists: 'group_exists',
  NoSuchGroup: 'no_such_group',
  NoSuchFile: 'no_such_file',
  NoSuchRequest: 'no_such_request',
  NoSuchInvite: 'no_such_invite',
  /** revoke_session: no live session of mine has that id. */
  NoSuchSession: 'no_such_session',
  /** Password hashing is at capacity (its queue is full): try again shortly. */
  Busy: 'busy',
  InviteExpired: 'invite_expired',
  AlreadyMember: 'already_member',
  AlreadyRequested: 'already_requested',
  NotMember: 'not_member',
  /** A quota of this tracker's (files, piece hashes, groups, invites, join requests) is full; the message names it and its limit. */
  QuotaExceeded: 'quota_exceeded',
  /** remove_member: that user is not a member of the group. */
  NoSuchMember: 'no_such_member',
  /** An invite made before this user left or was removed from the group: it cannot bring them back. */
  InviteNotForYou: 'invite_not_for_you',
  /** The file id does not match its metadata. */
  BadFileId: 'bad_file_id',
  /** The peer a signal is meant for is not online (on any tracker). */
  PeerOffline: 'peer_offline',
  /** The tracker failed; the request may be retried. */
  Internal: 'internal',
  /** The connection closed before the reply came; the request may or may not have been applied. */
  Disconnected: 'disconnected',
  /** The reply did not come in time. */
  Timeout: 'timeout',
  /** The tracker cannot save right now (its disk is full or failing): nothing was changed; try again later. */
  Unavailable: 'unavailable',
  /** Client side: the tracker's reply did not have the shape its request's reply has (protocol/replies.ts). */
  MalformedReply: 'malformed_reply',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error a tracker reports: a code to branch on, a message for people. */
export class MeshdropError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MeshdropError';
  }
}

/**
 * WebSocket close codes (4000–4999 are ours). Only abuse closes a connection;
 * a bad message gets an error reply instead.
 */
export const CloseCode = {
  /** ws closes a frame over MAX_FRAME_BYTES with 1009 on its own. */
  MessageTooBig: 1009,
  /** No hello within HELLO_TIMEOUT_MS. */
  HelloTimeout: 4000,
  /** More messages than the rate limit allows. */
  Flood: 4001,
  /** The client could not keep up with what it was sent. */
  SlowConsumer: 4002,
  /** The tracker is shutting down; connect to another. */
  GoingAway: 4003,
  /** Mesh peer failed the shared-secret proof. */
  MeshAuthFailed: 4004,
  /** This address already holds as many connections as the tracker allows one address (--max-connections-per-address). */
  TooManyFromAddress: 4005,
  /** The tracker holds as many connections as it allows (--max-connections); try another tracker. */
  TrackerFull: 4006,
  /** Said hello but did not log in or resume within UNAUTHENTICATED_TIMEOUT_MS. */
  LoginTimeout: 4007,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
