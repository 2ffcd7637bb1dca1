/**
 * The command console's language: the classic commands, their help, and a
 * parser from a typed line to a typed command. Pure: no I/O, no DOM, no
 * Svelte, so every rule here is unit-tested as a function.
 *
 * Words are split on spaces; "double" or 'single' quotes keep spaces inside
 * one argument (file names often have them), and a backslash escapes the
 * next character.
 */

export type Command =
  | { name: 'help'; topic: string | undefined }
  | { name: 'clear' }
  | { name: 'create_user'; userId: string; password: string }
  | { name: 'login'; userId: string; password: string }
  | { name: 'logout' }
  | { name: 'sessions' }
  | { name: 'revoke_session'; sessionId: string }
  | { name: 'logout_all' }
  | { name: 'create_group'; groupId: string }
  | { name: 'join_group'; groupId: string; invite: string | undefined }
  | { name: 'leave_group'; groupId: string }
  | { name: 'list_requests'; groupId: string | undefined }
  | { name: 'accept_request'; groupId: string; userId: string }
  | { name: 'reject_request'; groupId: string; userId: string }
  | { name: 'remove_member'; groupId: string; userId: string }
  | { name: 'list_invites'; groupId: string }
  | { name: 'revoke_invite'; groupId: string; inviteId: string }
  | { name: 'list_groups' }
  | { name: 'list_files'; groupId: string }
  /** `path`: the command line's file on disk (the browser opens its picker instead). */
  | { name: 'upload_file'; groupId: string; path?: string }
  /**
   * `dest`: the command line's destination file or directory (the browser
   * saves through its own dialog). `path`: the command line's one file of a
   * batch, by its path in the batch (only its pieces are fetched).
   */
  | { name: 'download_file'; groupId: string; file: string; dest?: string; path?: string }
  | { name: 'show_downloads' }
  | { name: 'stop_share'; groupId: string; file: string };

export type CommandName = Command['name'];

interface Arg {
  name: string;
  optional?: boolean;
  /** Masked when the typed line is echoed back (passwords). */
  secret?: boolean;
  /** Takes the rest of the line, so an unquoted file name may contain spaces. */
  rest?: boolean;
}

export interface CommandSpec {
  name: CommandName;
  args: Arg[];
  summary: string;
  details: string;
  example: string;
  /**
   * Where the command line takes other arguments (files are paths on disk
   * there, not a picker): the classic client's arguments, same command word.
   */
  cli?: { args: Arg[]; summary: string; details: string; example: string };
}

/**
 * Who reads the line: the web console, or the `meshdrop` command line
 * (cli/). One grammar; a few commands take the command line's arguments there.
 */
export type Dialect = 'web' | 'cli';

/** The spec as a dialect sees it. */
export function specFor(spec: CommandSpec, dialect: Dialect): Omit<CommandSpec, 'cli'> {
  return dialect === 'cli' && spec.cli ? { name: spec.name, ...spec.cli } : spec;
}

const a = (name: string, extra: Omit<Arg, 'name'> = {}): Arg => ({ name, ...extra });

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'create_user', args: [a('user'), a('password', { secret: true })], summary: 'register an account', details: 'Registers a new account on the tracker. It does not sign you in: use login next. Names are letters, digits, . _ - (up to 32); passwords are at least 4 characters.', example: 'create_user alice wonderland' },
  { name: 'login', args: [a('user'), a('password', { secret: true })], summary: 'sign in', details: 'Signs in. The session survives a reload of the page until you log out.', example: 'login alice wonderland' },
  { name: 'logout', args: [], summary: 'sign out everywhere', details: 'Ends your session: its token stops working on every tracker.', example: 'logout' },
  { name: 'sessions', args: [], summary: 'your signed-in browsers and devices', details: 'Lists your sessions: when each was opened and last used, when it ends unless used again, and which one is this one (*). The id is what revoke_session takes.', example: 'sessions' },
  { name: 'revoke_session', args: [a('session')], summary: 'sign one session out', details: 'Ends one of your sessions, by the id the sessions command shows: that browser or device is signed out on every tracker.', example: 'revoke_session 3f9a0c1d2b4e5f60' },
  { name: 'logout_all', args: [], summary: 'sign out everywhere', details: 'Ends every session of yours, this one included: every browser and device you are signed in on is signed out.', example: 'logout_all' },
  { name: 'create_group', args: [a('group')], summary: 'create a group you own', details: 'Creates a group. You are its owner: you decide who joins.', example: 'create_group photos' },
  { name: 'join_group', args: [a('group'), a('invite', { optional: true })], summary: 'ask to join a group', details: 'Asks the owner to let you in. With the code of an invite link (the part after ?invite=) you join at once, if it has not expired.', example: 'join_group photos' },
  { name: 'leave_group', args: [a('group')], summary: 'leave a group or withdraw a request', details: 'Leaves a group you are a member of, or withdraws your pending request.', example: 'leave_group photos' },
  { name: 'list_requests', args: [a('group', { optional: true })], summary: 'pending join requests (owner)', details: 'Lists who asked to join a group you own. Without a group: every group you own.', example: 'list_requests photos' },
  { name: 'accept_request', args: [a('group'), a('user')], summary: 'let someone in (owner)', details: 'Accepts a pending request: the person becomes a member.', example: 'accept_request photos bob' },
  { name: 'reject_request', args: [a('group'), a('user')], summary: 'turn a request down (owner)', details: 'Rejects a pending request.', example: 'reject_request photos bob' },
  { name: 'remove_member', args: [a('group'), a('user')], summary: 'remove a member (owner)', details: 'Removes a member from a group you own: they lose its files at once, and invite links made before cannot bring them back (a new invite or an accepted request can).', example: 'remove_member photos bob' },
  { name: 'list_invites', args: [a('group')], summary: 'invite links that still work (owner)', details: 'Lists the invite links of a group you own that have not expired or been revoked: their ids (not the links themselves), who made them and when they expire.', example: 'list_invites photos' },
  { name: 'revoke_invite', args: [a('group'), a('invite_id')], summary: 'make an invite link stop working (owner)', details: 'Revokes an invite link by the id list_invites shows: from then on it admits nobody. People who already joined by it stay members.', example: 'revoke_invite photos ta:12' },
  { name: 'list_groups', args: [], summary: 'every group and your status in it', details: 'Lists every group with its owner, its member count and your status: owner, member, pending, rejected, or none.', example: 'list_groups' },
  { name: 'list_files', args: [a('group')], summary: 'files shared in a group', details: 'Lists the files of a group you are in: name, size, who shared it, and how many holders are online.', example: 'list_files photos' },
  { name: 'upload_file', args: [a('group')], summary: 'share files (opens the file picker)', details: 'Opens the file picker; the files you choose are fingerprinted in your browser and shared into the group. Their bytes go straight to other members, never through a server.', example: 'upload_file photos',
    cli: { args: [a('file_path'), a('group')], summary: 'share a file or a folder from disk', details: 'Fingerprints the file (SHA-1 of each piece) and shares it into the group, served from where it is: keep it there. A folder is shared as one entry with its file list (as the browser shares a dropped folder), its files copied into meshdrop\'s own storage to be served from there. A seed (meshdrop seed) keeps it available after this command ends.', example: 'upload_file ./beach.jpg photos' } },
  { name: 'download_file', args: [a('group'), a('file', { rest: true })], summary: 'download a file from a group', details: 'Starts downloading a file of the group, named by its name or the start of its id. Follow it with show_downloads.', example: 'download_file photos beach.jpg',
    cli: { args: [a('group'), a('file'), a('destination_path'), a('path_in_batch', { optional: true })], summary: 'download a file from a group to disk', details: 'Downloads a file of the group, named by its name or the start of its id, to a file path or into a directory (which must exist). Verified pieces go straight into place; the file gets its name only once complete, and an interrupted download resumes. A batch (a shared folder, several files) is written as its tree into the directory; with a path of one of its files (as list_files shows it) only that file is fetched and written.', example: 'download_file photos beach.jpg ./downloads/' } },
  { name: 'show_downloads', args: [], summary: 'your downloads: [D] downloading, [C] complete', details: 'Lists every file you are downloading ([D]) or have completed ([C]), with its group.', example: 'show_downloads' },
  { name: 'stop_share', args: [a('group'), a('file', { rest: true })], summary: 'stop sharing a file', details: 'Removes a file you shared (or, as owner, any file) from the group.', example: 'stop_share photos beach.jpg' },
  { name: 'help', args: [a('command', { optional: true })], summary: 'this list, or help on one command', details: 'Without a command: every command. With one: what it does and an example.', example: 'help join_group' },
  { name: 'clear', args: [], summary: 'clear the console', details: 'Clears the console output.', example: 'clear' },
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export function usage(full: CommandSpec, dialect: Dialect = 'web'): string {
  const spec = specFor(full, dialect);
  return [spec.name, ...spec.args.map((x) => (x.optional ? `[${x.name}]` : `<${x.name}>`))].join(' ');
}

/** Help: the list of commands, or one command's usage, details and example. */
export function helpText(topic?: string, dialect: Dialect = 'web'): string[] {
  if (topic === undefined) {
    const width = Math.max(...COMMANDS.map((c) => usage(c, dialect).length));
    return ['Commands (type help <command> for more):', ...COMMANDS.map((c) => `  ${usage(c, dialect).padEnd(width)}  ${specFor(c, dialect).summary}`)];
  }
  const full = BY_NAME.get(topic as CommandName);
  if (!full) return [`No command named "${topic}". Type help for the list.`];
  const spec = specFor(full, dialect);
  return [`usage: ${usage(full, dialect)}`, spec.details, `example: ${spec.example}`];
}

export type Token = { text: string; start: number; end: number };

/** Splits a line into words; quotes group, backslash escapes. Unclosed quotes are an error. */
export function tokenize(line: string): { ok: true; tokens: Token[] } | { ok: false; error: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const start = i;
    let text = '';
    let quote: string | undefined;
    while (i < line.length) {
      const ch = line[i]!;
      if (quote) {
        if (ch === quote) quote = undefined;
        else if (ch === '\\' && i + 1 < line.length) text += line[++i];
        else text += ch;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < line.length) text += line[++i];
      else if (/\s/.test(ch)) break;
      else text += ch;
      i++;
    }
    if (quote) return { ok: false, error: `A quote (${quote}) is not closed.` };
    tokens.push({ text, start, end: i });
  }
  return { ok: true, tokens };
}

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string } | { ok: 'empty' };

export function parseCommand(line: string, dialect: Dialect = 'web'): ParseResult {
  const tokenized = tokenize(line);
  if (!tokenized.ok) return tokenized;
  const [head, ...rest] = tokenized.tokens;
  if (!head) return { ok: 'empty' };
  const name = head.text.toLowerCase();
  const full = BY_NAME.get(name as CommandName);
  if (!full) {
    const near = COMMANDS.find((c) => c.name.startsWith(name) || c.name.replace('_', '') === name.replace(/[_-]/g, ''));
    return { ok: false, error: `Unknown command "${head.text}".${near ? ` Did you mean ${near.name}?` : ''} Type help for the list.` };
  }
  const spec = specFor(full, dialect);
  const values: (string | undefined)[] = [];
  for (let k = 0; k < spec.args.length; k++) {
    const arg = spec.args[k]!;
    if (arg.rest && rest.length > k) {
      // The rest of the line, as typed (quotes still honoured word by word).
      values.push(rest.slice(k).map((t) => t.text).join(' '));
      rest.length = k + 1;
      break;
    }
    values.push(rest[k]?.text);
  }
  const required = spec.args.filter((x) => !x.optional).length;
  const given = Math.min(rest.length, spec.args.length);
  if (given < required) {
    const missing = spec.args[given]!;
    return { ok: false, error: `${spec.name} needs a ${missing.name}. Usage: ${usage(full, dialect)}` };
  }
  if (rest.length > spec.args.length) {
    return { ok: false, error: `${spec.name} takes ${spec.args.length === 0 ? 'no arguments' : `at most ${spec.args.length}`}. Usage: ${usage(full, dialect)}` };
  }
  const v = (k: number) => values[k]!;
  const o = (k: number) => values[k];
  const command = ((): Command => {
    switch (spec.name) {
      case 'help': return { name: 'help', topic: o(0)?.toLowerCase() };
      case 'clear': return { name: 'clear' };
      case 'create_user': return { name: 'create_user', userId: v(0), password: v(1) };
      case 'login': return { name: 'login', userId: v(0), password: v(1) };
      case 'logout': return { name: 'logout' };
      case 'sessions': return { name: 'sessions' };
      case 'revoke_session': return { name: 'revoke_session', sessionId: v(0).toLowerCase() };
      case 'logout_all': return { name: 'logout_all' };
      case 'create_group': return { name: 'create_group', groupId: v(0) };
      case 'join_group': return { name: 'join_group', groupId: v(0), invite: o(1) && inviteCode(o(1)!) };
      case 'leave_group': return { name: 'leave_group', groupId: v(0) };
      case 'list_requests': return { name: 'list_requests', groupId: o(0) };
      case 'accept_request': return { name: 'accept_request', groupId: v(0), userId: v(1) };
      case 'reject_request': return { name: 'reject_request', groupId: v(0), userId: v(1) };
      case 'remove_member': return { name: 'remove_member', groupId: v(0), userId: v(1) };
      case 'list_invites': return { name: 'list_invites', groupId: v(0) };
      case 'revoke_invite': return { name: 'revoke_invite', groupId: v(0), inviteId: v(1) };
      case 'list_groups': return { name: 'list_groups' };
      case 'list_files': return { name: 'list_files', groupId: v(0) };
      case 'upload_file': return dialect === 'cli' ? { name: 'upload_file', path: v(0), groupId: v(1) } : { name: 'upload_file', groupId: v(0) };
      case 'download_file': return dialect === 'cli' ? { name: 'download_file', groupId: v(0), file: v(1), dest: v(2), ...(o(3) !== undefined ? { path: o(3)! } : {}) } : { name: 'download_file', groupId: v(0), file: v(1) };
      case 'show_downloads': return { name: 'show_downloads' };
      case 'stop_share': return { name: 'stop_share', groupId: v(0), file: v(1) };
    }
  })();
  return { ok: true, command };
}

/** A pasted invite link works as well as its bare code. */
function inviteCode(text: string): string {
  const m = /[?&]invite=([^&#\s]+)/.exec(text);
  return m ? decodeURIComponent(m[1]!) : text;
}

/** The line as it is echoed into the output: secret arguments replaced by •••• so a password never stays on screen. */
export function maskSecrets(line: string, dialect: Dialect = 'web'): string {
  const tokenized = tokenize(line);
  if (!tokenized.ok) return line;
  const [head, ...rest] = tokenized.tokens;
  const full = head && BY_NAME.get(head.text.toLowerCase() as CommandName);
  if (!full) return line;
  const spec = specFor(full, dialect);
  let out = line;
  // Right to left, so earlier offsets stay valid.
  for (let k = Math.min(rest.length, spec.args.length) - 1; k >= 0; k--) {
    if (!spec.args[k]!.secret) continue;
    const t = rest[k]!;
    out = out.slice(0, t.start) + '••••' + out.slice(t.end);
  }
  return out;
}

/** Tab completion of the command word. */
export function completeCommand(prefix: string): string[] {
  const p = prefix.trim().toLowerCase();
  return COMMANDS.map((c) => c.name).filter((n) => n.startsWith(p));
}
