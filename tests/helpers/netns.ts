/**
 * Real NATs on one machine (the recipe measured for these machines): network
 * namespaces for two homes, each behind its own NAT router, and a public
 * segment (a bridge) where the tracker and coturn run.
 *
 *   ha 192.168.1.2 ─ ra [NAT] ─┐                          ┌─ rb [NAT] ─ hb 192.168.1.2
 *                              └─ pub br0 203.0.113.0/24 ─┘
 *                                 .1 tracker, coturn   ra .10, rb .20
 *
 * A "cone" router is a port-preserving MASQUERADE, a "symmetric" one
 * MASQUERADE --random-fully (a new port per destination, so STUN alone cannot
 * get through). Routers forward only replies inward and drop unsolicited
 * packets to themselves, as home routers do: without that drop the other
 * side's first probe makes a conntrack entry on the router, the NAT maps the
 * home's next packet to another port, and hole punching fails even between
 * two cone NATs.
 *
 * Every name carries this process's pid and a counter, so test files running
 * at once never share a namespace, and a sweep at start removes namespaces of
 * this prefix whose process is gone (a run killed before its teardown). Every
 * address lives inside namespaces the topology made: nothing is added to the
 * machine's own network, so two topologies with the same subnets never meet.
 * Processes started through the topology (tracker, coturn, Chromium) are
 * stopped, and the namespaces deleted, at teardown even when the test failed.
 * Without root, `ip` or `iptables` this fails, saying why: these tests never
 * pass by skipping.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, launchPerson, type LaunchOptions, type Person } from './browser.ts';
import { ROOT, TEST_SCRYPT, TEST_WEB_DIR, type Teardown } from './tracker.ts';

export type NatKind = 'cone' | 'symmetric';

/** Namespaces of this prefix are ours: `mdnat-<pid>-<n>-<role>`. */
export const NETNS_PREFIX = 'mdnat-';
/** The public segment's own address: tracker and coturn listen here. */
export const PUBLIC_IP = '203.0.113.1';
const PUBLIC_PREFIX = '203.0.113';
/** The public segment's "upstream": an address no interface has (see `#routeRestToTheVoid`). */
const VOID_GATEWAY = '203.0.113.254';
const VOID_MAC = '02:00:00:00:00:fe';
/** Each home's one computer; both homes use the same address, the NATs keep them apart. */
export const HOME_IP = '192.168.1.2';
const HOME_GATEWAY = '192.168.1.1';
/** Port-for-port what a default deployment uses: inside a fresh namespace every port is free. */
export const TRACKER_PORT = 8080;
export const TURN_PORT = 3478;

export interface Home {
  /** The namespace the home's computer (and its Chromium) runs in. */
  ns: string;
  /** The namespace of its NAT router. */
  router: string;
  kind: NatKind;
  /** The router's address on the public segment: what the other side sees. */
  wanIp: string;
}

export interface NsProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export interface NsTracker extends NsProcess {
  httpUrl: string;
  /** GET from inside the public segment (the test process lives outside every namespace). */
  get(path: string): Promise<{ status: number; body: string }>;
}

export interface NsCoturn extends NsProcess {
  url: string;
}

let counter = 0;

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Fails (never skips) with the reason when this machine cannot build namespaces. */
export function assertCanBuildNamespaces(): void {
  const why = 'the real-NAT tests build network namespaces and iptables NAT rules; ';
  assert.equal(process.getuid?.(), 0, `${why}they must run as root (CI does)`);
  for (const tool of ['ip', 'iptables']) {
    assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${why}\`${tool}\` is missing (apt-get install iproute2 iptables; .ci/run does it)`);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Kills what still runs in a namespace of ours (by pid, from `ip netns pids`), then deletes it. */
function removeNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Removes namespaces of our prefix left by a process that no longer runs. */
export function sweepStaleNamespaces(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(name);
    if (m && !alive(Number(m[1]))) removeNamespace(name);
  }
}

export class NatTopology {
  readonly id: string;
  readonly pub: string;
  readonly a: Home;
  readonly b: Home;
  #namespaces: string[] = [];
  /** Teardown steps of what was started inside, run last-first before the namespaces go. */
  #cleanups: (() => unknown)[] = [];
  #dir: string | undefined;

  private constructor(kinds: { a: NatKind; b: NatKind }) {
    this.id = `${NETNS_PREFIX}${process.pid}-${counter++}`;
    this.pub = `${this.id}-pub`;
    this.a = { ns: `${this.id}-ha`, router: `${this.id}-ra`, kind: kinds.a, wanIp: `${PUBLIC_PREFIX}.10` };
    this.b = { ns: `${this.id}-hb`, router: `${this.id}-rb`, kind: kinds.b, wanIp: `${PUBLIC_PREFIX}.20` };
  }

  /** Builds the topology; it is removed when the test ends, passed or failed. */
  static async create(t: Teardown, kinds: { a: NatKind; b: NatKind }): Promise<NatTopology> {
    assertCanBuildNamespaces();
    sweepStaleNamespaces();
    const topo = new NatTopology(kinds);
    t.after(() => topo.destroy());
    topo.#dir = await mkdtemp(join(tmpdir(), `${topo.id}-`));
    try {
      topo.#build();
    } catch (err) {
      throw new Error(`could not build the NAT topology (network namespaces, veth, bridge, iptables): ${(err as Error).message}`);
    }
    return topo;
  }

  #addNamespace(ns: string): void {
    run('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // IPv4 only: link-local IPv6 candidates would only add noise to what the test reads.
    run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }

  /**
   * A default route to an upstream that silently loses everything, as the
   * internet does with a packet for a private address. Without any route a
   * send to a home's private (host candidate) address fails at once with
   * ENETUNREACH, and coturn closes a relay whose send failed: a relayed
   * transfer then dies a few seconds in, when ICE checks a host candidate
   * through it. The gateway's address is answered by a neighbour entry that
   * no interface owns: frames for it are flooded and dropped.
   */
  #routeRestToTheVoid(ns: string, dev: string): void {
    run('ip', ['-n', ns, 'neigh', 'add', VOID_GATEWAY, 'lladdr', VOID_MAC, 'dev', dev, 'nud', 'permanent']);
    run('ip', ['-n', ns, 'route', 'add', 'default', 'via', VOID_GATEWAY, 'dev', dev]);
  }

  #build(): void {
    this.#addNamespace(this.pub);
    run('ip', ['-n', this.pub, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', this.pub, 'addr', 'add', `${PUBLIC_IP}/24`, 'dev', 'br0']);
    run('ip', ['-n', this.pub, 'link', 'set', 'br0', 'up']);
    this.#routeRestToTheVoid(this.pub, 'br0');
    for (const [side, home] of [['a', this.a], ['b', this.b]] as const) {
      this.#addNamespace(home.router);
      this.#addNamespace(home.ns);
      // Veth ends are created straight inside their namespaces: no name is ever taken in the machine's own.
      run('ip', ['link', 'add', 'wan', 'netns', home.router, 'type', 'veth', 'peer', 'name', `p${side}`, 'netns', this.pub]);
      run('ip', ['-n', this.pub, 'link', 'set', `p${side}`, 'master', 'br0', 'up']);
      run('ip', ['-n', home.router, 'addr', 'add', `${home.wanIp}/24`, 'dev', 'wan']);
      run('ip', ['-n', home.router, 'link', 'set', 'wan', 'up']);
      this.#routeRestToTheVoid(home.router, 'wan');
      run('ip', ['link', 'add', 'lan', 'netns', home.router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home.ns]);
      run('ip', ['-n', home.router, 'addr', 'add', `${HOME_GATEWAY}/24`, 'dev', 'lan']);
      run('ip', ['-n', home.router, 'link', 'set', 'lan', 'up']);
      run('ip', ['-n', home.ns, 'addr', 'add', `${HOME_IP}/24`, 'dev', 'eth0']);
      run('ip', ['-n', home.ns, 'link', 'set', 'eth0', 'up']);
      // Chromium gathers no candidate without a default route.
      run('ip', ['-n', home.ns, 'route', 'add', 'default', 'via', HOME_GATEWAY]);
      run('ip', ['netns', 'exec', home.router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      const masquerade = home.kind === 'symmetric' ? '-j MASQUERADE --random-fully' : '-j MASQUERADE';
      run('ip', ['netns', 'exec', home.router, 'iptables-restore'], [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        `-A POSTROUTING -o wan ${masquerade}`,
        'COMMIT',
        '*filter',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        '-A INPUT -i wan -m state --state NEW -j DROP',
        '-A FORWARD -i wan -m state --state ESTABLISHED,RELATED -j ACCEPT',
        '-A FORWARD -i wan -j DROP',
        'COMMIT',
        '',
      ].join('\n'));
    }
  }

  /**
   * One more computer straight on the public segment, with no NAT in front
   * (say, an attacker on the internet): its namespace, at `203.0.113.<n>`.
   */
  addPublicHost(name: string, n: number): { ns: string; ip: string } {
    const ns = `${this.id}-${name}`;
    const ip = `${PUBLIC_PREFIX}.${n}`;
    this.#addNamespace(ns);
    const port = `h${this.#namespaces.length}`;
    run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.pub]);
    run('ip', ['-n', this.pub, 'link', 'set', port, 'master', 'br0', 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    return { ns, ip };
  }

  /** Registers a teardown step for something started inside; it runs before the namespaces go. */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** The teardown handle to give helpers that register their own cleanup (launchPerson). */
  get teardown(): Teardown {
    return { after: (fn: () => unknown) => this.defer(fn) };
  }

  async destroy(): Promise<void> {
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // Teardown goes on: the namespaces must go whatever a step did.
      }
    }
    for (const ns of this.#namespaces.splice(0).reverse()) removeNamespace(ns);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  /** A scratch directory of this topology's, removed at teardown. */
  async dir(name: string): Promise<string> {
    const d = await mkdtemp(join(this.#dir!, `${name}-`));
    return d;
  }

  /** Starts a process inside a namespace; killed at teardown. */
  spawn(ns: string, cmd: string, args: string[], env: Record<string, string> = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    });
    return { child, output: () => out, exited };
  }

  /** Runs a short Node script inside a namespace and returns what it printed. */
  async node(ns: string, script: string): Promise<string> {
    const p = this.spawn(ns, process.execPath, ['-e', script]);
    const code = await p.exited;
    if (code !== 0) throw new Error(`node in ${ns} exited ${code}:\n${p.output()}`);
    return p.output();
  }

  /**
   * A tracker as a self-hoster runs it (tracker-server/main.ts) on the public
   * segment, with its defaults (STUN on the HTTP port's number) plus `args`.
   */
  async startTracker(args: string[] = []): Promise<NsTracker> {
    const dataDir = await this.dir('tracker');
    const p = this.spawn(this.pub, process.execPath, [
      '--import', 'tsx', join(ROOT, 'tracker-server/main.ts'),
      '--host', PUBLIC_IP, '--port', String(TRACKER_PORT), '--data-dir', dataDir, '--web-dir', TEST_WEB_DIR, ...args,
    ], { MESHDROP_SCRYPT_N: String(TEST_SCRYPT.N) });
    await waitFor(p, /serving http:\/\//, 60_000, 'tracker');
    const httpUrl = `http://${PUBLIC_IP}:${TRACKER_PORT}`;
    return {
      ...p,
      httpUrl,
      get: async (path: string) => {
        const out = await this.node(this.pub, `fetch(${JSON.stringify(httpUrl + path)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))`);
        return JSON.parse(out) as { status: number; body: string };
      },
    };
  }

  /** coturn on the public segment with coturn's TURN REST scheme (`use-auth-secret`), as README's self-hosting section runs it. */
  async startCoturn(secret: string, realm = 'meshdrop'): Promise<NsCoturn> {
    assert.equal(spawnSync('sh', ['-c', 'command -v turnserver']).status, 0, 'coturn is not installed (apt-get install coturn; .ci/run does it)');
    const dir = await this.dir('coturn');
    const p = this.spawn(this.pub, 'turnserver', [
      '-n', `--listening-ip=${PUBLIC_IP}`, `--relay-ip=${PUBLIC_IP}`, `--listening-port=${TURN_PORT}`,
      '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${realm}`,
      '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log',
      `--pidfile=${join(dir, 'turnserver.pid')}`, `--db=${join(dir, 'turndb')}`,
    ]);
    // Ready once it answers a STUN binding request on the public segment (its log names no such moment).
    await this.node(this.pub, stunProbeScript(PUBLIC_IP, TURN_PORT, 15_000)).catch((err: Error) => {
      throw new Error(`coturn did not start: ${err.message}\n${p.output()}`);
    });
    return { ...p, url: `turn:${PUBLIC_IP}:${TURN_PORT}?transport=udp` };
  }

  /**
   * A person with real Chromium on a home's computer: the browser process and
   * its children run inside the home's namespace (playwright drives it over
   * its pipe, which `ip netns exec` keeps). The tracker's public address is
   * plain http, which is not a secure context; a real deployment is https, so
   * the origin is treated as secure, as https would make it.
   */
  async launchPerson(home: Home, name: string, origin: string, options: LaunchOptions = {}): Promise<Person> {
    const wrapper = join(await this.dir(`chromium-${name}`), 'chromium');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${home.ns} ${CHROMIUM} "$@"\n`);
    await chmod(wrapper, 0o755);
    return launchPerson(this.teardown, name, {
      ...options,
      executablePath: wrapper,
      args: [`--unsafely-treat-insecure-origin-as-secure=${origin}`, ...(options.args ?? [])],
    });
  }
}

/**
 * A Node one-liner for inside a namespace: sends an RFC 5389 binding request
 * (a bare 20-byte header) every 100 ms until anything answers, or exits 1.
 */
export function stunProbeScript(host: string, port: number, timeoutMs: number): string {
  return `
    const s = require('node:dgram').createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(1, 0); req.writeUInt32BE(0x2112a442, 4); require('node:crypto').randomFillSync(req, 8, 12);
    const timer = setInterval(() => s.send(req, ${port}, ${JSON.stringify(host)}), 100);
    s.on('message', () => { clearInterval(timer); s.close(); });
    setTimeout(() => { console.error('no STUN answer from ${host}:${port}'); process.exit(1); }, ${timeoutMs}).unref();
    s.send(req, ${port}, ${JSON.stringify(host)});`;
}

async function waitFor(p: NsProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.output())) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited ${p.child.exitCode}:\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start in ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
