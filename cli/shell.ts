/**
 * The interactive shell: `meshdrop> ` with line editing, history (kept in
 * $XDG_STATE_HOME/meshdrop/history, passwords never written) and tab
 * completion, all from Node's readline: it is the well-kept library for
 * this, built in. Commands run through the same grammar and runner as the
 * web console; downloads and shares keep running in the background while
 * the shell is open.
 */
import { createInterface } from 'node:readline';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { completeCommand, maskSecrets, parseCommand } from '../client/commands/parse.ts';
import { formatBytes } from '../client/commands/format.ts';
import { CliClient } from './client.ts';
import { Exit, type ExitCode } from './exit-codes.ts';
import { runOne, trackersFor, traceOf, wordsOf, type Flags, type Io } from './main.ts';
import { askSecret, MutableOutput } from './prompt.ts';

const HISTORY_SIZE = 500;

function historyPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'meshdrop', 'history');
}

export async function runShell(flags: Flags, io: Io): Promise<ExitCode> {
  const trackers = await trackersFor(flags, io);
  if (!trackers?.length) {
    io.stderr.write('No tracker given: meshdrop --tracker URL (it is remembered after login).\n');
    return Exit.Usage;
  }
  const client = new CliClient({ trackers, env: io.env, progress: io.stderr, limits: flags.limits, downloads: 'background', trace: traceOf(io) });
  // Like one-shot commands, the shell moves only the files it is asked about (a seed may serve the rest).
  client.limitTo([]);
  try {
    await client.open();
  } catch (err) {
    io.stderr.write(`Could not reach a tracker (${trackers.join(', ')}): ${(err as Error).message}\n`);
    return Exit.Network;
  }
  io.stdout.write(`Connected to ${client.tracker.url}. ${client.userId ? `Signed in as ${client.userId}.` : 'login <user> or create_user <user> to begin.'} Type help for the commands.\n`);

  const histFile = historyPath(io.env);
  const history = (await readFile(histFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  const output = new MutableOutput(io.stdout);
  const rl = createInterface({
    input: io.stdin,
    output,
    terminal: Boolean(io.stdin.isTTY),
    history,
    historySize: HISTORY_SIZE,
    completer: (line: string) => [line.includes(' ') ? [] : completeCommand(line), line],
  });
  rl.setPrompt('meshdrop> ');
  let engineHooked = false;
  const hookEngine = () => {
    if (engineHooked || !client.userId) return;
    engineHooked = true;
    const engine = client.engine();
    engine.on('complete', ({ fileId }) => {
      const d = engine.info(fileId);
      // Said once the file has its real name on disk.
      if (d && !d.shared) void client.store.settled(fileId).then(() => io.stdout.write(`\nDownloaded ${d.name} (${formatBytes(d.size)}).\n`));
    });
    engine.on('error', ({ message }) => io.stderr.write(`\n${message}\n`));
    engine.on('stopped', ({ reason }) => io.stderr.write(`\n${reason}\n`));
  };
  // Lines are taken one at a time from a queue, not a for-await over rl: a password asked for in the
  // middle must get the next line, and readline's async iterator would already have swallowed it.
  const queued: string[] = [];
  let waiter: ((line: string | undefined) => void) | undefined;
  let ended = false;
  rl.on('line', (l) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(l);
    } else queued.push(l);
  });
  rl.on('close', () => {
    ended = true;
    waiter?.(undefined);
  });
  const next = (): Promise<string | undefined> =>
    queued.length ? Promise.resolve(queued.shift()) : ended ? Promise.resolve(undefined) : new Promise((r) => (waiter = r));
  let last: ExitCode = Exit.Ok;
  rl.prompt();
  for (;;) {
    const raw = await next();
    if (raw === undefined) break;
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    let words = wordsOf(line);
    let text = line;
    if (words && (words[0] === 'login' || words[0] === 'create_user') && words.length === 2) {
      const password = await askSecret(output, 'Password: ', next);
      words = [...words, password];
      text = `${line} "${password.replace(/["\\]/g, '\\$&')}"`;
    }
    // Nothing secret goes into history, in memory or on disk: a line typed with its password is dropped
    // (`login alice` with the password asked for separately is kept).
    const typedSecret = maskSecrets(line, 'cli') !== line;
    const hist = (rl as unknown as { history?: string[] }).history;
    if (hist && typedSecret && hist[0] === raw) hist.shift();
    if (line && !typedSecret) {
      await mkdir(dirname(histFile), { recursive: true, mode: 0o700 }).catch(() => undefined);
      await appendFile(histFile, line + '\n', { mode: 0o600 }).catch(() => undefined);
    }
    const parsed = parseCommand(text, 'cli');
    if (parsed.ok === 'empty') {
      rl.prompt();
      continue;
    }
    if (parsed.ok !== true) {
      io.stderr.write(parsed.error + '\n');
      last = Exit.Usage;
      rl.prompt();
      continue;
    }
    if (parsed.command.name === 'clear') io.stdout.write('\x1b[2J\x1b[H');
    const out = await runOne(parsed.command, client);
    for (const l of out.lines) (out.ok ? io.stdout : io.stderr).write(l + '\n');
    last = out.ok ? Exit.Ok : Exit.Refused;
    hookEngine();
    rl.prompt();
  }
  rl.close();
  const unfinished = client.downloads().filter((d) => d.state === 'downloading' && !d.part?.done).length;
  if (unfinished) io.stdout.write(`${unfinished} download${unfinished === 1 ? '' : 's'} not finished: the same download_file (or meshdrop seed) resumes where it stopped.\n`);
  await client.close();
  // The shell's status is the last command's, as in sh.
  return last;
}
