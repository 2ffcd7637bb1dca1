/**
 * Tracker → client pushed events `{event, …}` (no id), to whom they concern.
 * The tracker builds them typed by `TrackerEvent`; the client parses every
 * one with `TrackerEventSchema` (client/tracker.ts), so a malformed event is
 * dropped with a clear error instead of reaching the app or a swarm.
 *
 * zod/mini, not zod: see protocol/replies.ts.
 */
import * as z from 'zod/mini';
import { MAX_BITFIELD_BASE64_LENGTH } from './constants.ts';
import { GroupId, PeerId, Sha1Hex, UserId } from './fields.ts';
import { FileSummary } from './replies.ts';

const ev = <E extends string, S extends z.core.$ZodLooseShape>(event: E, shape: S) => z.object({ event: z.literal(event), ...shape });

export const TrackerEventSchema = z.discriminatedUnion('event', [
  /** To a group's owner: someone asked to join. */
  ev('join_requested', { groupId: GroupId, userId: UserId }),
  /** To the requester: the owner answered. */
  ev('request_answered', { groupId: GroupId, accepted: z.boolean() }),
  /** To members: a member joined, left or was removed, or ownership moved (the one who left or was removed hears it too). */
  ev('members_changed', { groupId: GroupId }),
  /** To members: a file was shared into one of my groups. */
  ev('file_shared', { file: FileSummary }),
  /** To members: a file was removed from a group. */
  ev('file_stopped', { groupId: GroupId, fileId: Sha1Hex }),
  /** To watchers of a file (those who asked get_holders): a holder came, updated, or went (bitfield null). */
  ev('holders_changed', {
    fileId: Sha1Hex,
    peerId: PeerId,
    userId: UserId,
    bitfield: z.nullable(z.string().check(z.maxLength(MAX_BITFIELD_BASE64_LENGTH))),
  }),
  /**
   * To a file's group members: how many peers online hold pieces of it now
   * changed (a holder came or went, here or on another tracker); with
   * nobody, `lastOnlineAt` says since when.
   */
  ev('holders_online', { groupId: GroupId, fileId: Sha1Hex, holdersOnline: z.int(), partialOnline: z.optional(z.int()), lastOnlineAt: z.optional(z.number()) }),
  /** A WebRTC signal from another peer; `data` is opaque here (the swarm parses it: protocol/signal.ts). */
  ev('signal', { fileId: Sha1Hex, from: PeerId, fromUser: UserId, data: z.unknown() }),
  /** This session no longer works (logged out elsewhere, or the account lost its name to an earlier sign-up on another tracker). */
  ev('session_revoked', { reason: z.string() }),
]);
export type TrackerEvent = z.infer<typeof TrackerEventSchema>;
