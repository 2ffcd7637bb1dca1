/**
 * Every error a person can meet, in words they understand. Branches on the
 * stable codes of protocol/errors.ts, never on message text, and never shows
 * a stack trace: an unexpected error says what failed and that it is not
 * their fault.
 */
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';

const WORDS: Record<ErrorCode, string> = {
  [ErrorCode.BadJson]: 'The tracker could not read what this app sent. Reload the page and try again.',
  [ErrorCode.UnknownType]: 'The tracker does not know this action. Reload the page to get the current app.',
  [ErrorCode.InvalidMessage]: 'Something you entered is not valid.',
  [ErrorCode.HelloFirst]: 'The connection got out of step. Reload the page.',
  // Said to a page and to the command line alike, and either side may be the older one.
  [ErrorCode.VersionMismatch]: 'This app and the tracker speak different versions of the protocol. Reload the page or update meshdrop; if that does not help, the tracker needs updating.',
  [ErrorCode.Unauthenticated]: 'Please sign in first.',
  [ErrorCode.Forbidden]: 'You are not allowed to do that.',
  [ErrorCode.BadCredentials]: 'Wrong user name or password.',
  [ErrorCode.RateLimited]: 'Too many failed attempts. Wait a minute, then try again.',
  [ErrorCode.InvalidSession]: 'Your session has ended. Please sign in again.',
  [ErrorCode.UserExists]: 'That user name is taken. Pick another one.',
  [ErrorCode.GroupExists]: 'A group with that name already exists. Pick another name.',
  [ErrorCode.NoSuchGroup]: 'There is no group with that name.',
  [ErrorCode.NoSuchFile]: 'That file is no longer shared.',
  [ErrorCode.NoSuchRequest]: 'There is no pending request from that person.',
  [ErrorCode.NoSuchInvite]: 'This invite link is not valid for this group.',
  [ErrorCode.NoSuchSession]: 'That session has already ended.',
  [ErrorCode.Busy]: 'The tracker has too many passwords to check right now. Try again in a few seconds.',
  [ErrorCode.InviteExpired]: 'This invite link has expired. Ask the owner for a new one, or ask to join.',
  [ErrorCode.AlreadyMember]: 'You are already a member of this group.',
  [ErrorCode.AlreadyRequested]: 'You have already asked to join. The owner will decide.',
  [ErrorCode.NotMember]: 'You are not a member of this group.',
  [ErrorCode.QuotaExceeded]: 'This tracker\'s limit is reached. Remove something you no longer need, or ask the tracker\'s operator.',
  [ErrorCode.NoSuchMember]: 'That person is not a member of this group.',
  [ErrorCode.InviteNotForYou]: 'This invite was made before you left this group, so it cannot bring you back. Ask the owner for a new invite, or ask to join.',
  [ErrorCode.BadFileId]: 'The file could not be registered: its fingerprint did not match. Try sharing it again.',
  [ErrorCode.PeerOffline]: 'That person is not online right now.',
  [ErrorCode.Internal]: 'The tracker had a problem. Try again in a moment.',
  [ErrorCode.Disconnected]: 'Lost the connection to the tracker. Check your network; the app keeps trying.',
  [ErrorCode.Timeout]: 'The tracker did not answer in time. Check your network and try again.',
  [ErrorCode.Unavailable]: 'The tracker cannot save changes right now (its disk is full). Nothing was changed; try again later.',
  [ErrorCode.MalformedReply]: 'The tracker sent an answer this app could not read. Reload the page to get the current app.',
};

const KNOWN = new Set<string>(Object.values(ErrorCode));

/** The code of an error if it carries one of ours. */
export function errorCode(err: unknown): ErrorCode | undefined {
  if (err instanceof MeshdropError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && KNOWN.has(code) ? (code as ErrorCode) : undefined;
}

/**
 * Words for any error. An invalid field keeps the tracker's own hint (it
 * names the field and the rule, e.g. "letters, digits, . _ -"), which helps
 * more than a generic sentence.
 */
/** A refusal already in people's words (a file name too long): shown as it is, its code kept for programs. */
export class InWords extends MeshdropError {}

export function describeError(err: unknown): string {
  if (err instanceof InWords) return err.message;
  const code = errorCode(err);
  if (code === ErrorCode.InvalidMessage) {
    const hint = friendlyValidation(String((err as Error).message ?? ''));
    return hint ? `${WORDS[code]} ${hint}` : WORDS[code];
  }
  if (code === ErrorCode.QuotaExceeded) {
    const hint = quotaHint(String((err as Error).message ?? ''));
    return hint ? `${WORDS[code]} ${hint}` : WORDS[code];
  }
  if (code) return WORDS[code];
  if (err instanceof DOMException && err.name === 'AbortError') return 'Cancelled.';
  if (err instanceof DOMException && err.name === 'QuotaExceededError') {
    return 'Your browser has run out of storage space for this site. Remove some downloads and try again.';
  }
  // Not one of ours: say what happened in one line, never a stack.
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const firstLine = message.split('\n')[0]!.trim().slice(0, 200);
  return firstLine ? `Something went wrong: ${firstLine}` : 'Something went wrong. Try again.';
}

/** "… (quota files-per-user = 1000)" → "The limit: 1000 files per user." */
function quotaHint(message: string): string {
  const m = /\(quota ([a-z]+)-per-([a-z]+) = (\d+)\)/.exec(message);
  if (!m) return '';
  const things: Record<string, string> = { files: 'files', hashes: 'file pieces', groups: 'groups owned', invites: 'open invites', requests: 'waiting join requests' };
  return `The limit: ${Number(m[3]).toLocaleString('en')} ${things[m[1]!] ?? m[1]} per ${m[2]}.`;
}

/** "create_user: userId: letters, digits…" → "User name: letters, digits…". */
function friendlyValidation(message: string): string {
  const m = /^[a-z_]+: ([A-Za-z.]+): (.*)$/.exec(message);
  if (!m) return '';
  const field = m[1]!.split('.').pop()!;
  const names: Record<string, string> = {
    userId: 'User name',
    groupId: 'Group name',
    password: 'Password',
    invite: 'Invite code',
    ttlMs: 'Expiry',
    name: 'File name',
    size: 'File size',
  };
  return `${names[field] ?? field}: ${m[2]}.`;
}
