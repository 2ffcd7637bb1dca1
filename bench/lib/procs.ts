/**
 * Child processes for benchmarks: a tracker started from its real command
 * line (with the benchmark-only gc-hook preloaded), and load generators
 * driven over IPC. Everything started here is stopped by its `stop()`.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GC_HOOK = fileURLToPath(new URL('./gc-hook.ts', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));

/** Whatever happens to the benchmark, no child outlives it. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function adopt(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface TrackerStats {
  at: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8's heap spaces, committed (physical) bytes each, by name (new_space, old_space, code_space…). */
  spaces: Record<string, number>;
}

export class TrackerProcess {
  #seq = 0;
  #waiting = new Map<number, (s: TrackerStats) => void>();
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (msg: { id: number } & TrackerStats) => {
      this.#waiting.get(msg.id)?.(msg);
      this.#waiting.delete(msg.id);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /**
   * `script` replaces the tracker's command line (a script and its arguments, e.g. another tracker
   * that prints the same "serving http://127.0.0.1:<port>" line); `pin` names the CPUs it may run on.
   */
  static async start(opts: { dataDir: string; scryptN: number; nodeFlags?: string[]; root?: string; script?: string[]; pin?: string }): Promise<TrackerProcess> {
    const child = adopt(spawn(
      process.execPath,
      [
        '--expose-gc',
        ...(opts.nodeFlags ?? []),
        '--import', 'tsx',
        '--import', GC_HOOK,
        ...(opts.script ?? [
          'tracker-server/main.ts',
          '--port', '0',
          '--host', '127.0.0.1',
          '--data-dir', opts.dataDir,
          '--tracker-id', 'bench',
          '--scrypt-n', String(opts.scryptN),
          '--web-dir', `${opts.dataDir}/no-web-app`,
        ]),
      ],
      // Benchmarks sign up and connect thousands of users from a few loopback addresses: no per-address
      // sign-up limit, and a per-address connection cap above any load they make.
      {
        cwd: opts.root ?? ROOT,
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        env: { MESHDROP_SIGNUPS_PER_ADDRESS: '0', MESHDROP_MAX_CONNECTIONS_PER_ADDRESS: '100000', ...process.env },
      },
    ));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /serving http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`tracker exited (${code}) before listening:\n${out}`)));
    });
    if (opts.pin !== undefined) pin(child.pid!, opts.pin);
    return new TrackerProcess(child, port);
  }

  #ask(cmd: 'stats' | 'gc'): Promise<TrackerStats> {
    const id = ++this.#seq;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.send({ id, cmd });
    });
  }
  stats(): Promise<TrackerStats> {
    return this.#ask('stats');
  }
  /** Full GC, then stats: the memory that is really held. */
  gcStats(): Promise<TrackerStats> {
    return this.#ask('gc');
  }

  /** SIGTERM (a clean shutdown, which flushes the log); SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

export const cpuUs = (s: TrackerStats): number => s.cpuUserUs + s.cpuSystemUs;

/** One load-generator process; `call` sends a command and resolves with its result. */
export class Generator {
  #seq = 0;
  #waiting = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  readonly child: ChildProcess;
  /** `script`: another generator module driven by the same IPC commands (default bench/lib/loadgen.ts). */
  constructor(readonly index: number, script = LOADGEN) {
    this.child = adopt(fork(script, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.child.on('message', (msg: { seq: number; result?: unknown; error?: string }) => {
      const w = this.#waiting.get(msg.seq);
      this.#waiting.delete(msg.seq);
      if (msg.error !== undefined) w?.reject(new Error(`generator ${index}: ${msg.error}`));
      else w?.resolve(msg.result);
    });
    this.child.once('exit', (code) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`generator ${index} exited (${code})`));
      this.#waiting.clear();
    });
  }
  /** Loopback source address of its own, so many runs do not exhaust one address's ephemeral ports. */
  get localAddress(): string {
    return `127.0.0.${2 + this.index}`;
  }
  call<R = any>(command: object): Promise<R> {
    const seq = ++this.#seq;
    return new Promise<R>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.child.send({ seq, command });
    });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Splits `items` into `n` nearly equal consecutive slices. */
export function split<T>(items: readonly T[], n: number): T[][] {
  return Array.from({ length: n }, (_, i) => items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
}

/** Pins every thread of a process to the CPUs named (taskset's list, e.g. "0" or "1"), so two processes do not share a core. */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
