/**
 * Load generator child process for bench/tracker-load.ts: many simulated clients
 * over real WebSockets, driven by the parent over IPC, one command at a time.
 * It speaks the real protocol (hello, create_user, login, resume, groups,
 * invites, upload_file, announce, get_holders, signal) and keeps its own
 * per-message cost low (prebuilt request text, no JSON.parse of the replies
 * and events it only counts) so that the tracker, not the generator, is what
 * gets measured.
 */
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { PIECE_SIZE, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { fileIdOf } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { answerParentCommands } from './child-commands.ts';

export const PIECES_PER_FILE = 20;
export const MEMBERS_PER_GROUP_MAX = 64;

/** What the parent keeps of a set-up client, to connect it again in each run. */
export interface ClientSpec {
  userId: string;
  token: string;
  group: number;
  files: string[];
}

export type Command =
  | { cmd: 'setup'; url: string; groups: number[]; membersPerGroup: number; filesPerGroup: number; localAddress: string }
  | { cmd: 'connect'; url: string; clients: ClientSpec[]; localAddress: string }
  | { cmd: 'announce' }
  | { cmd: 'holders' }
  | { cmd: 'saturate'; startAt: number; warmupMs: number; measureMs: number; window: number }
  | { cmd: 'fixed'; startAt: number; warmupMs: number; measureMs: number; rate: number }
  | { cmd: 'close' };

export interface PhaseResult {
  /** Signal requests answered ok inside the measured window. */
  ok: number;
  errors: number;
  /** Signal events received (relayed to this generator's clients) inside the window. */
  delivered: number;
  /** Request round trips inside the window, ms. */
  latencies: number[];
  /** Requests still unanswered when the phase ended. */
  outstanding: number;
}

const MASK_ZERO = (mask: Uint8Array) => mask.fill(0);

/**
 * Realistic signal payloads: per WebRTC connection one offer, one answer
 * (SDP, about a kilobyte) and a handful of ICE candidates (~150 bytes).
 */
const CANDIDATE = JSON.stringify({
  type: 'candidate',
  candidate: { candidate: 'candidate:842163049 1 udp 1677729535 192.168.1.23 54321 typ host generation 0 ufrag Ab12 network-cost 999', sdpMid: '0', sdpMLineIndex: 0 },
});
const SDP = JSON.stringify({
  type: 'offer',
  sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n' +
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Ab12\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n' +
    'a=ice-options:trickle\r\na=fingerprint:sha-256 ' + 'AB:'.repeat(31) + 'AB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n'.repeat(4),
});
/** One signal in six is an SDP, the rest candidates. */
const signalData = (n: number): string => (n % 6 === 0 ? SDP : CANDIDATE);

interface Pending {
  t0: number;
  resolve: (reply: any) => void;
  /** Counted in the measured window (signals only). */
  counted: boolean;
}

class BenchClient {
  ws!: WebSocket;
  peerId = '';
  userId = '';
  token = '';
  group = 0;
  files: string[] = [];
  /** Peer ids of the other members who announced, per file index. */
  peers: string[][] = [];
  #next = 0;
  /** Request ids must be unique per user (and globally before log-in): the tracker dedupes retries by them. */
  #prefix = randomBytes(6).toString('base64url') + '-';
  #pending = new Map<string, Pending>();
  onSignalEvent: () => void = () => undefined;
  onSignalReply: (ok: boolean, p: Pending, now: number) => void = () => undefined;

  open(url: string, localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, localAddress, generateMask: MASK_ZERO, skipUTF8Validation: true });
      this.ws = ws;
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.on('message', (data) => this.#onMessage(data.toString()));
    });
  }

  #onMessage(text: string): void {
    // Events start with {"event": signals are only counted; the rest ignored.
    if (text.charCodeAt(2) === 101 /* e */) {
      if (text.startsWith('{"event":"signal"')) this.onSignalEvent();
      return;
    }
    // Replies start with {"id":"<id>","ok":...
    const end = text.indexOf('"', 7);
    const id = text.slice(7, end);
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if (p.counted) {
      this.onSignalReply(text.startsWith('"ok":true', end + 2), p, performance.now());
      p.resolve(undefined);
    } else {
      p.resolve(JSON.parse(text));
    }
  }

  /** A request whose reply is parsed and checked; throws on an error reply. */
  async request(type: string, fields: Record<string, unknown> = {}): Promise<any> {
    const id = this.#prefix + ++this.#next;
    const reply = await new Promise<any>((resolve) => {
      this.#pending.set(id, { t0: performance.now(), resolve, counted: false });
      this.ws.send(JSON.stringify({ id, type, ...fields }));
    });
    if (!reply.ok) throw new Error(`${type} as ${this.userId}: ${reply.error.code}: ${reply.error.message}`);
    return reply;
  }

  /** A signal to a random other member; its reply is reported through onSignalReply. */
  signal(n: number): boolean {
    const k = n % this.files.length;
    const peers = this.peers[k]!;
    if (peers.length === 0) return false;
    const to = peers[(n >>> 3) % peers.length]!;
    const id = this.#prefix + ++this.#next;
    this.#pending.set(id, { t0: performance.now(), resolve: noop, counted: true });
    this.ws.send(`{"id":"${id}","type":"signal","fileId":"${this.files[k]}","to":"${to}","data":${signalData(n)}}`);
    return true;
  }

  get outstanding(): number {
    return this.#pending.size;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

const noop = () => undefined;

/** Runs `fn` over items with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const sha1hex = (text: string) => createHash('sha1').update(text).digest('hex');

export function fileMeta(group: number, k: number): FileMeta {
  const pieceHashes = Array.from({ length: PIECES_PER_FILE }, (_, i) => sha1hex(`g${group}f${k}p${i}`));
  return { groupId: `bg${group}`, name: `file-${group}-${k}.bin`, size: PIECES_PER_FILE * PIECE_SIZE - 1000, pieceSize: PIECE_SIZE, pieceHashes };
}

// ------------------------------------------------------------ state and commands

let clients: BenchClient[] = [];

async function connect(url: string, localAddress: string): Promise<BenchClient> {
  const c = new BenchClient();
  await c.open(url, localAddress);
  const hello = await c.request('hello', { protocol: PROTOCOL_VERSION });
  c.peerId = hello.peerId;
  return c;
}

/** Groups set up at once per generator: fewer than the tracker's log-ins in flight per address (LOGIN_FAILURES_PER_ADDRESS, 20). */
const SETUP_GROUPS_AT_ONCE = 10;

/** Creates the users, groups (joined by invite) and files of the given groups; returns tokens. */
async function setup(cmd: Extract<Command, { cmd: 'setup' }>): Promise<ClientSpec[]> {
  const specs = await pool(cmd.groups, SETUP_GROUPS_AT_ONCE, async (g) => {
    const members = await Promise.all(
      Array.from({ length: cmd.membersPerGroup }, async (_, m) => {
        const c = await connect(cmd.url, cmd.localAddress);
        c.userId = `b${g}-${m}`;
        await c.request('create_user', { userId: c.userId, password: 'bench-password' });
        return c;
      }),
    );
    // One log-in at a time per group: the tracker counts log-ins in flight per address
    // (LOGIN_FAILURES_PER_ADDRESS), and a generator is one address.
    for (const c of members) c.token = (await c.request('login', { userId: c.userId, password: 'bench-password' })).token;
    const owner = members[0]!;
    await owner.request('create_group', { groupId: `bg${g}` });
    const { token: invite } = await owner.request('create_invite', { groupId: `bg${g}` });
    await Promise.all(members.slice(1).map((c) => c.request('join_group', { groupId: `bg${g}`, invite })));
    const files: string[] = [];
    for (let k = 0; k < cmd.filesPerGroup; k++) {
      const meta = fileMeta(g, k);
      const fileId = fileIdOf(meta);
      await owner.request('upload_file', { fileId, meta });
      files.push(fileId);
    }
    await Promise.all(members.map((c) => c.close()));
    return members.map((c) => ({ userId: c.userId, token: c.token, group: g, files }));
  });
  return specs.flat();
}

async function connectAll(cmd: Extract<Command, { cmd: 'connect' }>): Promise<{ connected: number; ms: number }> {
  const t0 = performance.now();
  clients = await pool(cmd.clients, 100, async (spec) => {
    const c = await connect(cmd.url, cmd.localAddress);
    Object.assign(c, { userId: spec.userId, token: spec.token, group: spec.group, files: spec.files });
    await c.request('resume', { token: spec.token });
    return c;
  });
  return { connected: clients.length, ms: performance.now() - t0 };
}

/** Every client announces every file of its group with about half the pieces. */
async function announceAll(): Promise<{ latencies: number[] }> {
  const latencies: number[] = [];
  await pool(clients, 200, async (c, i) => {
    for (const fileId of c.files) {
      const bytes = Buffer.alloc(Math.ceil(PIECES_PER_FILE / 8));
      for (let p = 0; p < PIECES_PER_FILE; p++) if ((p * 7 + i) % 2 === 0) bytes[p >> 3]! |= 0x80 >> (p & 7);
      bytes[bytes.length - 1]! &= 0xff << (bytes.length * 8 - PIECES_PER_FILE);
      const t0 = performance.now();
      await c.request('announce', { fileId, bitfield: bytes.toString('base64') });
      latencies.push(performance.now() - t0);
    }
  });
  return { latencies };
}

/** Every client asks for the holders of its files (and so watches them). */
async function holdersAll(): Promise<{ latencies: number[]; peersSeen: number }> {
  const latencies: number[] = [];
  let peersSeen = 0;
  await pool(clients, 200, async (c) => {
    c.peers = [];
    for (const fileId of c.files) {
      const t0 = performance.now();
      const { holders } = await c.request('get_holders', { fileId });
      latencies.push(performance.now() - t0);
      c.peers.push(holders.map((h: { peerId: string }) => h.peerId));
      peersSeen += holders.length;
    }
  });
  return { latencies, peersSeen };
}

function phaseCounters(startAt: number, warmupMs: number, measureMs: number) {
  const from = performance.timeOrigin;
  // Wall-clock window (shared by every process on the machine) in this process's performance time.
  const winStart = startAt + warmupMs - from;
  const winEnd = winStart + measureMs;
  const result: PhaseResult = { ok: 0, errors: 0, delivered: 0, latencies: [], outstanding: 0 };
  const inWindow = (t: number) => t >= winStart && t < winEnd;
  for (const c of clients) {
    c.onSignalEvent = () => {
      if (inWindow(performance.now())) result.delivered++;
    };
  }
  return { result, inWindow, winStart, winEnd };
}

/** Closed loop: keeps `window` signals in flight; each reply sends the next. */
async function saturate(cmd: Extract<Command, { cmd: 'saturate' }>): Promise<PhaseResult> {
  const { result, inWindow, winEnd } = phaseCounters(cmd.startAt, cmd.warmupMs, cmd.measureMs);
  let n = Math.floor(Math.random() * 1e6);
  let stopped = false;
  const sendOne = () => {
    for (let tries = 0; tries < 10; tries++) {
      const c = clients[n++ % clients.length]!;
      if (c.signal(n)) return;
    }
  };
  for (const c of clients) {
    c.onSignalReply = (ok, p, now) => {
      // Throughput: replies that arrive inside the window, whenever they were sent.
      if (inWindow(now)) {
        if (ok) result.ok++;
        else result.errors++;
        if ((result.ok & 7) === 0) result.latencies.push(now - p.t0);
      }
      if (!stopped) sendOne();
    };
  }
  await sleep(cmd.startAt - Date.now());
  for (let i = 0; i < cmd.window; i++) sendOne();
  await sleep(winEnd - performance.now() + 50);
  stopped = true;
  await drain();
  return result;
}

/** Open loop: sends at a fixed rate whatever the replies do, and times each request. */
async function fixed(cmd: Extract<Command, { cmd: 'fixed' }>): Promise<PhaseResult> {
  const { result, inWindow, winEnd } = phaseCounters(cmd.startAt, cmd.warmupMs, cmd.measureMs);
  for (const c of clients) {
    c.onSignalReply = (ok, p, now) => {
      if (!inWindow(p.t0)) return;
      if (ok) result.ok++;
      else result.errors++;
      result.latencies.push(now - p.t0);
    };
  }
  await sleep(cmd.startAt - Date.now());
  const t0 = performance.now();
  let sent = 0;
  let n = Math.floor(Math.random() * 1e6);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((now - t0) / 1000) * cmd.rate);
      while (sent < due) {
        const c = clients[n++ % clients.length]!;
        if (c.signal(n)) sent++;
      }
      if (now >= winEnd + 50) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await drain();
  return result;
}

/** Waits (up to 5 s) for every outstanding request to be answered. */
async function drain(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (clients.some((c) => c.outstanding > 0) && Date.now() < deadline) await sleep(20);
}

async function closeAll(): Promise<{ outstanding: number }> {
  const outstanding = clients.reduce((s, c) => s + c.outstanding, 0);
  await pool(clients, 500, (c) => c.close());
  clients = [];
  return { outstanding };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function run(cmd: Command): Promise<unknown> {
  switch (cmd.cmd) {
    case 'setup':
      return setup(cmd);
    case 'connect':
      return connectAll(cmd);
    case 'announce':
      return announceAll();
    case 'holders':
      return holdersAll();
    case 'saturate': {
      const r = await saturate(cmd);
      r.outstanding = clients.reduce((s, c) => s + c.outstanding, 0);
      return r;
    }
    case 'fixed': {
      const r = await fixed(cmd);
      r.outstanding = clients.reduce((s, c) => s + c.outstanding, 0);
      return r;
    }
    case 'close':
      return closeAll();
  }
}

answerParentCommands<Command>(run);
