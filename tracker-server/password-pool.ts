/**
 * Password hashing off the shared thread pool (issue 8, item 12).
 *
 * `crypto.scrypt` runs on libuv's thread pool, the same four threads that
 * carry the op log's writes and fsyncs: fifty sign-ups a second at N=2^15
 * kept them all busy and another user's create_group waited 19 s for its
 * fsync. Here scrypt runs synchronously in a few worker threads of its own,
 * so it can use at most those threads and never delays a file write.
 *
 * - Workers: one fewer than the machine's cores (at least one), so the main
 *   thread (every socket, every op) always has a core.
 * - Queue: jobs beyond the workers wait in order, up to PASSWORD_QUEUE_MAX;
 *   a job beyond that is refused at once (`busy`), costing nothing.
 * - Workers start on first use and are unref'd: an idle pool keeps no
 *   process alive and costs nothing.
 *
 * One pool per process: the cores are the process's, however many trackers
 * (tests) share it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PASSWORD_QUEUE_MAX } from '../protocol/constants.ts';

export interface ScryptJob {
  password: string;
  salt: Buffer;
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

/** The worker's whole program: plain CommonJS, so it needs no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ id, password, salt, N, r, p, keyLength }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keyLength, { N, r, p, maxmem: 256 * N * r });
    parentPort.postMessage({ id, key });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

interface Queued {
  id: number;
  job: ScryptJob;
  resolve: (key: Buffer) => void;
  reject: (err: Error) => void;
}

export class PoolBusyError extends Error {
  constructor() {
    super('password hashing queue is full');
    this.name = 'PoolBusyError';
  }
}

export interface PoolStats {
  /** Jobs finished since start, and the cost (N) of the last one: tests check that a missing user is hashed too. */
  completed: number;
  lastN: number;
  refused: number;
  queued: number;
  running: number;
}

export class PasswordPool {
  readonly stats: PoolStats = { completed: 0, lastN: 0, refused: 0, queued: 0, running: 0 };
  #idle: Worker[] = [];
  #live = new Set<Worker>();
  #queue: Queued[] = [];
  #running = new Map<Worker, Queued>();
  #nextId = 1;

  constructor(
    readonly size = Math.max(1, availableParallelism() - 1),
    readonly queueMax = PASSWORD_QUEUE_MAX,
  ) {}

  /** scrypt in a worker; rejects with PoolBusyError at once when the queue is full. */
  scrypt(job: ScryptJob): Promise<Buffer> {
    if (this.#queue.length >= this.queueMax) {
      this.stats.refused++;
      return Promise.reject(new PoolBusyError());
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#live.size < this.size ? this.#spawn() : undefined);
      if (!worker) break;
      const task = this.#queue.shift()!;
      this.#running.set(worker, task);
      worker.ref();
      const { password, salt, N, r, p, keyLength } = task.job;
      worker.postMessage({ id: task.id, password, salt, N, r, p, keyLength });
    }
    this.stats.queued = this.#queue.length;
    this.stats.running = this.#running.size;
  }

  #spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.#live.add(worker);
    worker.unref();
    worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const task = this.#running.get(worker);
      this.#running.delete(worker);
      worker.unref();
      this.#idle.push(worker);
      if (task) {
        this.stats.completed++;
        this.stats.lastN = task.job.N;
        if (msg.key) task.resolve(Buffer.from(msg.key.buffer, msg.key.byteOffset, msg.key.byteLength));
        else task.reject(new Error(msg.error ?? 'scrypt failed'));
      }
      this.#pump();
    });
    // A worker that dies (out of memory) fails its job; the pool starts another next time.
    worker.on('error', (err) => this.#lost(worker, err));
    worker.on('exit', (code) => this.#lost(worker, new Error(`password worker exited with ${code}`)));
    return worker;
  }

  #lost(worker: Worker, err: Error): void {
    if (!this.#live.delete(worker)) return; // 'error' is followed by 'exit'
    const idle = this.#idle.indexOf(worker);
    if (idle >= 0) this.#idle.splice(idle, 1);
    const task = this.#running.get(worker);
    this.#running.delete(worker);
    task?.reject(err);
    this.#pump();
  }
}

/** The process's pool. */
export const passwordPool = new PasswordPool();
