/**
 * `meshdrop`: the command line. Three ways in:
 *
 *   meshdrop <command> [args] [--tracker URL] [--json]   one command, then exit (scripts)
 *   meshdrop [--tracker URL]                             the interactive shell
 *   meshdrop seed [--mirror <group>]...                  a long-running peer
 *
 * Flags are parsed with Node's own util.parseArgs (no dependency: it has
 * strict unknown-flag errors, repeatable options and short aliases, which is
 * all this needs); the command and its arguments with the web console's
 * grammar (client/commands/parse.ts, the 'cli' dialect), so both read the
 * same words the same way. Exit codes: cli/exit-codes.ts.
 */
import { parseArgs } from 'node:util';
import { ErrorCode } from '../protocol/errors.ts';
import { errorCode } from '../client/commands/errors.ts';
import { parseCommand, tokenize, type Command } from '../client/commands/parse.ts';
import { ConsoleError, runCommand, type ConsoleActions, type Output } from '../client/commands/run.ts';
import { CliClient } from './client.ts';
import { Exit, type ExitCode } from './exit-codes.ts';
import { loadSession, trackerWsUrl } from './paths.ts';
import { readSecret } from './prompt.ts';

export const USAGE = `meshdrop: group file sharing, peer to peer, from the command line

usage:
  meshdrop <command> [arguments] [options]   run one command and exit
  meshdrop [options]                         interactive shell (type help)
  meshdrop seed [--mirror <group>]...        stay online: serve what this machine holds

commands (meshdrop help <command> for more):
  create_user <user_id> [password]      login <user_id> [password]      logout
  create_group <group_id>               join_group <group_id>           leave_group <group_id>
  list_requests <group_id>              accept_request <group_id> <user_id>
  reject_request <group_id> <user_id>   list_groups                     list_files <group_id>
  upload_file <file_path> <group_id>    download_file <group_id> <file_name> <destination_path>
  show_downloads                        stop_share <group_id> <file_name>
  help [command]
  A password left out is asked for without echo (or read from the first line of stdin).

options:
  -t, --tracker URL       tracker to use (https://host, or ws://host:port/ws); remembered after login
                          (env MESHDROP_TRACKER)
      --json              one JSON object per command on stdout (scripts)
      --mirror <group>    seed: also download every file shared into the group, and serve it
      --upload-limit N    bytes per second, all files together (K, M, G suffixes); default none
      --download-limit N  likewise for downloads
  -h, --help              this text
      --version           the version

exit codes: 0 done; 1 refused by the tracker or transfer failed; 2 wrong command line;
  3 not signed in or wrong password; 4 local file problem (missing, unreadable, not writable);
  5 no tracker reachable.
session token (never the password): $XDG_CONFIG_HOME/meshdrop/session.json (mode 0600);
transfer records: $XDG_DATA_HOME/meshdrop/<user>/.`;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Flags {
  trackers: string[];
  json: boolean;
  mirror: string[];
  limits: { uploadBytesPerSecond?: number; downloadBytesPerSecond?: number };
}

export async function main(argv: string[], io: Io): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tracker: { type: 'string', short: 't', multiple: true },
        json: { type: 'boolean' },
        mirror: { type: 'string', multiple: true },
        'upload-limit': { type: 'string' },
        'download-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.stderr.write(`meshdrop: ${(err as Error).message.split('\n')[0]}\nmeshdrop --help lists the options.\n`);
    return Exit.Usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return Exit.Ok;
  }
  if (values.version) {
    io.stdout.write('meshdrop 0.1.0\n');
    return Exit.Ok;
  }
  let flags: Flags;
  try {
    flags = {
      trackers: (values.tracker ?? (io.env.MESHDROP_TRACKER ? [io.env.MESHDROP_TRACKER] : [])).map(trackerWsUrl),
      json: values.json ?? false,
      mirror: values.mirror ?? [],
      limits: {
        ...(values['upload-limit'] !== undefined ? { uploadBytesPerSecond: parseRate(values['upload-limit']) } : {}),
        ...(values['download-limit'] !== undefined ? { downloadBytesPerSecond: parseRate(values['download-limit']) } : {}),
      },
    };
  } catch (err) {
    io.stderr.write(`meshdrop: ${(err as Error).message}\n`);
    return Exit.Usage;
  }
  if (flags.mirror.length && positionals[0] !== 'seed') {
    io.stderr.write('meshdrop: --mirror goes with seed: meshdrop seed --mirror <group>\n');
    return Exit.Usage;
  }
  if (positionals[0] === 'seed') {
    if (positionals.length > 1) {
      io.stderr.write('meshdrop: seed takes no arguments (options: --mirror <group>, --upload-limit, --download-limit)\n');
      return Exit.Usage;
    }
    const { runSeed } = await import('./seed.ts');
    return runSeed(flags, io);
  }
  if (positionals.length === 0) {
    const { runShell } = await import('./shell.ts');
    return runShell(flags, io);
  }
  return runOneShot(positionals, flags, io);
}

/** "2M" → 2097152 bytes/s. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`not a rate: ${text} (bytes per second, e.g. 500K or 2M)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/** Words from the shell's argv, quoted back for the grammar (which splits on spaces). */
function lineOf(words: string[]): string {
  return words.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join(' ');
}

/** Which trackers to use: the flag, else the saved session's. */
export async function trackersFor(flags: Flags, io: Io): Promise<string[] | undefined> {
  if (flags.trackers.length) return flags.trackers;
  return (await loadSession(io.env))?.trackers;
}

async function runOneShot(words: string[], flags: Flags, io: Io): Promise<ExitCode> {
  const head = words[0]!.toLowerCase();
  // A password left out is asked for (never echoed), or read from stdin in a script.
  if ((head === 'login' || head === 'create_user') && words.length === 2) {
    const password = await readSecret('Password: ', io);
    if (password === undefined) return report(io, flags, head, { ok: false, lines: ['No password given.'] }, Exit.Usage);
    words = [...words, password];
  }
  const parsed = parseCommand(lineOf(words), 'cli');
  if (parsed.ok === 'empty') return Exit.Usage;
  if (parsed.ok !== true) return report(io, flags, head, { ok: false, lines: [parsed.error] }, Exit.Usage);
  const command = parsed.command;
  if (command.name === 'help') return report(io, flags, 'help', await runCommand(command, signedOutActions, 'cli'), Exit.Ok);
  if (command.name === 'clear') return Exit.Ok;
  const trackers = await trackersFor(flags, io);
  if (!trackers?.length) {
    return report(io, flags, command.name, { ok: false, lines: ['No tracker given: add --tracker URL (it is remembered after login).'] }, Exit.Usage);
  }
  const client = new CliClient({ trackers, env: io.env, progress: flags.json ? undefined : io.stderr, limits: flags.limits, downloads: 'wait', trace: traceOf(io) });
  client.limitTo([]);
  try {
    try {
      await client.open();
    } catch (err) {
      return report(io, flags, command.name, { ok: false, lines: [`Could not reach a tracker (${trackers.join(', ')}): ${(err as Error).message}`], error: err }, Exit.Network);
    }
    const out = await runOne(command, client);
    const code = out.ok ? Exit.Ok : exitOf(out.error);
    if (out.ok && command.name === 'upload_file') {
      if (!flags.json) io.stderr.write('It is served while a meshdrop of yours is running here: start `meshdrop seed` to keep it available.\n');
    }
    return report(io, flags, command.name, out, code, client.lastData);
  } finally {
    await client.close();
  }
}

/** Runs one command; show_downloads in one-shot mode reads this machine's records. */
export async function runOne(command: Command, client: CliClient): Promise<Output> {
  if (command.name === 'show_downloads' && client.userId) {
    const { formatDownloads } = await import('../client/commands/run.ts');
    const lines = await client.storedDownloads();
    client.lastData = lines;
    return { ok: true, lines: formatDownloads(lines) };
  }
  return runCommand(command, client, 'cli');
}

/** What an error means for the exit status. */
export function exitOf(err: unknown): ExitCode {
  if (err instanceof ConsoleError) return err.kind === 'local' ? Exit.Local : Exit.Refused;
  switch (errorCode(err)) {
    case ErrorCode.Unauthenticated:
    case ErrorCode.BadCredentials:
    case ErrorCode.InvalidSession:
      return Exit.Auth;
    case ErrorCode.Disconnected:
    case ErrorCode.Timeout:
      return Exit.Network;
    case ErrorCode.InvalidMessage:
      return Exit.Usage;
    default:
      return Exit.Refused;
  }
}

function report(io: Io, flags: Flags, command: string, out: Output, exit: ExitCode, data?: unknown): ExitCode {
  if (flags.json) {
    const error = out.ok ? undefined : { code: errorCode(out.error) ?? (out.error instanceof ConsoleError ? out.error.kind : 'usage'), message: out.lines.join('\n') };
    io.stdout.write(JSON.stringify({ ok: out.ok, command, exit, lines: out.lines, ...(data !== undefined && out.ok ? { data } : {}), ...(error ? { error } : {}) }) + '\n');
  } else {
    const stream = out.ok ? io.stdout : io.stderr;
    for (const line of out.lines) stream.write(line + '\n');
  }
  return exit;
}

/** `help` needs no tracker: it is answered before anything connects (runCommand asks it nothing else). */
const signedOutActions = { userId: undefined } as unknown as ConsoleActions;

function traceOf(io: Io): ((line: string) => void) | undefined {
  return io.env.MESHDROP_TRACE === 'pieces' ? (line) => io.stderr.write(`trace: ${line}\n`) : undefined;
}
export { traceOf };

/** Tokens of a typed line, for the shell (a password left out is asked for). */
export function wordsOf(line: string): string[] | undefined {
  const t = tokenize(line);
  return t.ok ? t.tokens.map((x) => x.text) : undefined;
}
