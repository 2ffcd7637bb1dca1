/**
 * Real `nats-server -js` processes for tests: one server, or a 3-node
 * cluster, on free loopback ports with temp store dirs; stopped at teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'nats';
import { freePort } from './proxy.ts';
import { tempDir } from './tracker.ts';

type Teardown = { after(fn: () => unknown): void };

export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

export interface NatsNode {
  url: string;
  /** The running nats-server (the latest one after a restart). */
  process: ChildProcess;
  output: () => string;
  /** kill -9, waiting for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store dir (after kill). */
  restart(): Promise<void>;
}

function startNode(t: Teardown, args: string[]): NatsNode & { ready: Promise<void> } {
  const first = spawnNode(t, args);
  const node: NatsNode & { ready: Promise<void> } = {
    url: first.url,
    process: first.process,
    output: first.output,
    ready: first.ready,
    async kill() {
      const child = node.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      const next = spawnNode(t, args);
      node.process = next.process;
      node.output = next.output;
      await next.ready;
    },
  };
  return node;
}

function spawnNode(t: Teardown, args: string[]): { url: string; process: ChildProcess; output: () => string; ready: Promise<void> } {
  const child = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${out}`)), 20_000);
    const check = () => {
      if (/Server is ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', () => reject(new Error(`nats-server exited:\n${out}`)));
  });
  const port = args[args.indexOf('-p') + 1];
  return { url: `nats://127.0.0.1:${port}`, process: child, output: () => out, ready };
}

/** Waits until JetStream answers on `url` (a cluster needs its meta leader first). */
async function jetStreamReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const nc = await connect({ servers: url, timeout: 2000 });
      try {
        await (await nc.jetstreamManager()).getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** One `nats-server -js`. */
export async function startNats(t: Teardown): Promise<NatsNode> {
  const port = await freePort();
  const dir = await tempDir(t, 'meshdrop-nats-');
  const node = startNode(t, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, '--server_name', 'n1']);
  await node.ready;
  await jetStreamReady(node.url);
  return node;
}

/** A 3-node JetStream cluster on loopback. */
export async function startNatsCluster(t: Teardown): Promise<NatsNode[]> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const routeList = routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const nodes: (NatsNode & { ready: Promise<void> })[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = await tempDir(t, 'meshdrop-nats-');
    nodes.push(
      startNode(t, [
        '-js', '-a', '127.0.0.1', '-p', String(ports[i]), '-sd', dir,
        '--server_name', `n${i + 1}`, '--cluster_name', 'meshdrop-test',
        '--cluster', `nats://127.0.0.1:${routes[i]}`, '--routes', routeList,
      ]),
    );
  }
  await Promise.all(nodes.map((n) => n.ready));
  await jetStreamReady(nodes[0]!.url);
  return nodes;
}

/**
 * A TCP proxy that delays every chunk by `delayMs` each way (order kept): a
 * far-away NATS, so a tracker's start-up against it takes seconds, not
 * milliseconds. Closed at teardown.
 */
export async function startSlowProxy(t: Teardown, targetUrl: string, delayMs: number): Promise<{ url: string }> {
  const { createServer, connect: dial } = await import('node:net');
  const target = new URL(targetUrl.replace(/^nats:/, 'http:'));
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    const upstream = dial(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => setTimeout(() => upstream.destroyed || upstream.write(chunk), delayMs));
    upstream.on('data', (chunk) => setTimeout(() => client.destroyed || client.write(chunk), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return { url: `nats://127.0.0.1:${port}` };
}
