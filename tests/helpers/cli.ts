/**
 * The `meshdrop` command line as a test drives it: a real child process
 * (bin/meshdrop.mjs, as `npx meshdrop` runs it), one home directory per
 * person so each has its own XDG config (session) and data (records), and
 * teardown that kills what is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir, type Teardown } from './tracker.ts';

export const MESHDROP_BIN = join(ROOT, 'bin/meshdrop.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliPerson {
  name: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Runs one command to its end. */
  /** Runs one command to its end (`uid`/`gid`: as another user, for permission cases root cannot see). */
  run(args: string[], options?: { stdin?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number }): Promise<CliResult>;
  /** Starts a long-running command (seed, a download to kill); killed at teardown. */
  start(args: string[], options?: { env?: NodeJS.ProcessEnv }): CliProcess;
}

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export async function cliPerson(t: Teardown, name: string): Promise<CliPerson> {
  const home = await tempDir(t, `meshdrop-cli-${name}-`);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_STATE_HOME: join(home, '.local/state') };
  delete env.MESHDROP_TRACKER;
  const start = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): CliProcess => {
    const child = spawn(process.execPath, [MESHDROP_BIN, ...args], { cwd: home, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    else child.stdin!.end();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    });
    return {
      child,
      output: () => out,
      exited,
      waitFor(pattern, timeoutMs = 60_000) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name}: ${pattern} not seen in ${timeoutMs} ms:\n${out}`)), timeoutMs);
          const check = () => {
            if (pattern.test(out)) {
              clearTimeout(timer);
              resolve();
            }
          };
          child.stdout!.on('data', check);
          child.stderr!.on('data', check);
          check();
        });
      },
    };
  };
  return {
    name,
    home,
    env,
    start,
    async run(args, options = {}) {
      const child = spawn(process.execPath, [MESHDROP_BIN, ...args], { cwd: home, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], uid: options.uid, gid: options.gid });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdin!.end(options.stdin ?? '');
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      return { code, stdout, stderr };
    },
  };
}

/** Runs a command that must succeed; fails the test with its output if not. */
export async function ok(person: CliPerson, args: string[], options?: { stdin?: string }): Promise<string> {
  const r = await person.run(args, options);
  if (r.code !== 0) throw new Error(`${person.name}: meshdrop ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** Signs a new user up and in on the tracker. */
export async function signedIn(t: Teardown, name: string, wsUrl: string): Promise<CliPerson> {
  const p = await cliPerson(t, name);
  await ok(p, ['create_user', name, 'password1', '--tracker', wsUrl]);
  await ok(p, ['login', name, '--tracker', wsUrl], { stdin: 'password1\n' });
  return p;
}
