/**
 * Load generator for bench/tracker.ts: one peer model, two trackers. Each
 * simulated peer sits in one swarm (a Meshdrop group's file, a WebTorrent
 * info hash) and, when it "announces", sends offers to FANOUT other peers of
 * its swarm, each carrying an SDP of the same bytes; every peer that gets an
 * offer answers it with an SDP of the same size, relayed back. What each
 * tracker's own clients send:
 *
 * - bittorrent-tracker: one `announce` with FANOUT `offers` (the tracker
 *   picks the peers, replies to the announcer and pushes each offer); each
 *   answer is an `announce` with `answer` and `to_peer_id` (pushed, no reply).
 * - Meshdrop (`md`): one `signals` frame with FANOUT signals (the client
 *   picks the peers from get_holders; each signal authorised; no reply unless
 *   refused; each signal's data after the frame's line, relayed as sent);
 *   each answer a `signals` frame of one.
 * - Meshdrop, protocol 1's form (`md-signal`, for comparison): one `signal`
 *   request per offer and per answer, each answered `ok`.
 *
 * A relayed signal is an offer or an answer reaching its peer; the generator
 * counts them as they arrive. Latency: from an announce to each of its
 * answers. Messages in the hot path are built and read as strings (no
 * JSON.parse), so the generator's own cost stays low.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import type { ClientSpec } from './loadgen.ts';
import { answerParentCommands } from './child-commands.ts';

/** `md-alt`: Meshdrop's tracker started with other node flags (bench/tracker.ts --md-alt-node-flags); the same clients as `md`. */
export type Side = 'bt' | 'md' | 'md-signal' | 'md-alt';

export type PeersCommand =
  | { cmd: 'connect'; side: Side; url: string; swarms: number; peersPerSwarm: number; fanout: number; sdpBytes: number; md?: ClientSpec[]; localAddress: string }
  | { cmd: 'fixed'; startAt: number; warmupMs: number; measureMs: number; announcesPerSec: number }
  | { cmd: 'saturate'; startAt: number; warmupMs: number; measureMs: number; window: number }
  | { cmd: 'close' };

export interface PeersResult {
  /** Offers and answers that reached their peer inside the window. */
  relayed: number;
  announces: number;
  errors: number;
  /** Announce → answer, ms, inside the window. */
  latencies: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const MASK_ZERO = (mask: Uint8Array) => mask.fill(0);

/** An SDP of exactly `bytes` characters (ASCII), as JSON: `{"type":"offer","sdp":"v=0…"}` around it. */
function sdp(bytes: number, type: 'offer' | 'answer'): string {
  const head = 'v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\\r\\n';
  const body = (head + 'a=x'.repeat(bytes)).slice(0, bytes);
  return `{"type":"${type}","sdp":"${body}"}`;
}

let side: Side = 'md';
let fanout = 5;
let offerJson = '';
let answerJson = '';
let peers: Peer[] = [];
/** Announces in flight, by their key: when they went and how many answers are still to come. */
const announces = new Map<string, { t0: number; left: number }>();
let onAnswer: (latency: number, now: number) => void = () => undefined;
let onRelayed: (now: number) => void = () => undefined;
let onError: () => void = () => undefined;
let announceSeq = 0;

interface Peer {
  ws: WebSocket;
  /** Sends one announce (offers to `fanout` peers of its swarm); false if it cannot. */
  announce(): boolean;
}

function open(url: string, localAddress: string, onMessage: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress, generateMask: MASK_ZERO, skipUTF8Validation: true });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.on('message', (data) => onMessage(data.toString()));
  });
}

/** Reads the string value after `key` (e.g. `"offer_id":"`) in `text`, from `from`. */
function field(text: string, key: string, from = 0): string {
  const at = text.indexOf(key, from);
  if (at < 0) return '';
  const start = at + key.length;
  return text.slice(start, text.indexOf('"', start));
}

function answered(key: string): void {
  const a = announces.get(key);
  if (!a) return;
  const now = performance.now();
  onRelayed(now);
  onAnswer(now - a.t0, now);
  if (--a.left === 0) announces.delete(key);
}

// ------------------------------------------------------------ bittorrent-tracker

/** 20 ASCII characters, as WebTorrent's peer ids and info hashes are 20 bytes. */
const id20 = (prefix: string, n: number) => prefix.slice(0, 4) + String(n).padStart(16, '0');

async function btPeer(url: string, localAddress: string, swarm: number, index: number): Promise<Peer> {
  const peerId = id20('-BM-', index);
  const infoHash = id20('swm-', swarm);
  let started: () => void = () => undefined;
  const ws = await open(url, localAddress, (text) => {
    if (text.startsWith('{"action":"announce","offer":')) {
      // An offer for us: answer it to its sender.
      onRelayed(performance.now());
      const at = text.indexOf('"offer_id":"');
      const offerId = field(text, '"offer_id":"', at);
      const from = field(text, '"peer_id":"', at);
      ws.send(`{"action":"announce","info_hash":"${infoHash}","peer_id":"${peerId}","to_peer_id":"${from}","answer":${answerJson},"offer_id":"${offerId}"}`);
    } else if (text.startsWith('{"action":"announce","answer":')) {
      answered(field(text, '"offer_id":"', text.indexOf('"offer_id":"')));
    } else if (text.includes('failure reason')) {
      onError();
    } else {
      started();
    }
  });
  await new Promise<void>((resolve) => {
    started = resolve;
    ws.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: infoHash, peer_id: peerId, numwant: 0, uploaded: 0, downloaded: 0, left: 0, offers: [] }));
  });
  started = () => undefined;
  return {
    ws,
    announce() {
      const key = `${index}.${++announceSeq}`;
      let offers = '';
      for (let i = 0; i < fanout; i++) offers += `${i ? ',' : ''}{"offer":${offerJson},"offer_id":"${key}"}`;
      announces.set(key, { t0: performance.now(), left: fanout });
      ws.send(`{"action":"announce","info_hash":"${infoHash}","peer_id":"${peerId}","numwant":${fanout},"uploaded":0,"downloaded":0,"left":0,"offers":[${offers}]}`);
      return true;
    },
  };
}

// ------------------------------------------------------------ Meshdrop

interface MdPeer extends Peer {
  request(type: string, fields: Record<string, unknown>): Promise<any>;
  peerId: string;
  others: string[];
}

async function mdPeer(url: string, localAddress: string, spec: ClientSpec, perSignal: boolean): Promise<MdPeer> {
  const fileId = spec.files[0]!;
  const prefix = randomBytes(6).toString('base64url') + '-';
  let next = 0;
  const waiting = new Map<string, (reply: any) => void>();
  let rotate = 0;
  const send = (to: string, data: string) => {
    const id = prefix + ++next;
    // protocol 1's form is answered ok: that reply is part of what it costs.
    if (perSignal) peer.ws.send(`{"id":"${id}","type":"signal","fileId":"${fileId}","to":"${to}","data":${data}}`);
    else peer.ws.send(`{"id":"${prefix}f${next}","type":"signals","signals":[{"id":"${id}","fileId":"${fileId}","to":"${to}","length":${data.length}}]}\n${data}`);
  };
  const ws = await open(url, localAddress, (text) => {
    if (text.startsWith('{"event":"signal"')) {
      // The sender's data follows the event's line (protocol/signals-frame.ts).
      const at = text.indexOf('\n{"conn":"');
      const conn = field(text, '\n{"conn":"', at);
      if (text.startsWith('"offer"', text.indexOf('"type":', at) + 7)) {
        onRelayed(performance.now());
        send(field(text, '"from":"'), `{"conn":"${conn}","data":${answerJson}}`);
      } else {
        answered(conn);
      }
      return;
    }
    if (text.charCodeAt(2) === 101 /* e: another event */) return;
    const id = field(text, '{"id":"');
    const w = waiting.get(id);
    if (w) {
      waiting.delete(id);
      w(JSON.parse(text));
    } else if (text.includes('"ok":false')) {
      onError();
    }
  });
  const peer: MdPeer = {
    ws,
    peerId: '',
    others: [],
    request(type, fields) {
      const id = prefix + ++next;
      return new Promise((resolve, reject) => {
        waiting.set(id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(`${type}: ${reply.error.code}: ${reply.error.message}`))));
        ws.send(JSON.stringify({ id, type, ...fields }));
      });
    },
    announce() {
      const n = peer.others.length;
      if (n === 0) return false;
      const key = `${spec.userId}.${++announceSeq}`;
      announces.set(key, { t0: performance.now(), left: Math.min(fanout, n) });
      const data = `{"conn":"${key}","data":${offerJson}}`;
      rotate++;
      if (perSignal) {
        for (let i = 0; i < fanout && i < n; i++) send(peer.others[(rotate + i) % n]!, data);
        return true;
      }
      let items = '';
      let datas = '';
      for (let i = 0; i < fanout && i < n; i++) {
        items += `${i ? ',' : ''}{"id":"${prefix}${++next}","fileId":"${fileId}","to":"${peer.others[(rotate + i) % n]}","length":${data.length}}`;
        datas += data;
      }
      ws.send(`{"id":"${prefix}${++next}","type":"signals","signals":[${items}]}\n${datas}`);
      return true;
    },
  };
  const hello = await peer.request('hello', { protocol: PROTOCOL_VERSION });
  peer.peerId = hello.peerId;
  await peer.request('resume', { token: spec.token });
  // Every piece held: an announced, findable peer, as a WebTorrent peer that said `started`.
  await peer.request('announce', { fileId, bitfield: Buffer.alloc(3, 0xff).fill(0xf0, 2).toString('base64') });
  return peer;
}

// ------------------------------------------------------------ commands

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

async function connect(cmd: Extract<PeersCommand, { cmd: 'connect' }>): Promise<{ connected: number }> {
  side = cmd.side;
  fanout = cmd.fanout;
  offerJson = sdp(cmd.sdpBytes, 'offer');
  answerJson = sdp(cmd.sdpBytes, 'answer');
  if (side === 'bt') {
    const total = cmd.swarms * cmd.peersPerSwarm;
    peers = await pool(Array.from({ length: total }, (_, i) => i), 100, (i) => btPeer(cmd.url, cmd.localAddress, i % cmd.swarms, i));
  } else {
    const md = await pool(cmd.md!, 100, (spec) => mdPeer(cmd.url, cmd.localAddress, spec, side === 'md-signal'));
    // Everyone has announced: each learns its swarm's others (get_holders, which also watches the file).
    await pool(md, 100, async (p) => {
      const { holders } = await p.request('get_holders', { fileId: cmd.md![md.indexOf(p)]!.files[0] });
      p.others = holders.map((h: { peerId: string }) => h.peerId);
    });
    peers = md;
  }
  return { connected: peers.length };
}

function window(startAt: number, warmupMs: number, measureMs: number) {
  const winStart = startAt + warmupMs - performance.timeOrigin;
  const winEnd = winStart + measureMs;
  const result: PeersResult = { relayed: 0, announces: 0, errors: 0, latencies: [] };
  const inWindow = (t: number) => t >= winStart && t < winEnd;
  onRelayed = (now) => {
    if (inWindow(now)) result.relayed++;
  };
  onError = () => {
    if (inWindow(performance.now())) result.errors++;
  };
  return { result, inWindow, winEnd };
}

/** Open loop: announces at a fixed rate, whatever comes back. */
async function fixed(cmd: Extract<PeersCommand, { cmd: 'fixed' }>): Promise<PeersResult> {
  const { result, inWindow, winEnd } = window(cmd.startAt, cmd.warmupMs, cmd.measureMs);
  onAnswer = (latency, now) => {
    if (inWindow(now)) result.latencies.push(latency);
  };
  await sleep(cmd.startAt - Date.now());
  const t0 = performance.now();
  let sent = 0;
  let n = Math.floor(Math.random() * peers.length);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((now - t0) / 1000) * cmd.announcesPerSec);
      while (sent < due) {
        if (peers[n++ % peers.length]!.announce()) sent++;
        if (inWindow(now)) result.announces++;
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

/** Closed loop: `window` announces in flight; every `fanout` answers that come back send the next. */
async function saturate(cmd: Extract<PeersCommand, { cmd: 'saturate' }>): Promise<PeersResult> {
  const { result, inWindow, winEnd } = window(cmd.startAt, cmd.warmupMs, cmd.measureMs);
  let n = Math.floor(Math.random() * peers.length);
  let stopped = false;
  let answers = 0;
  const sendOne = () => {
    for (let tries = 0; tries < 10; tries++) if (peers[n++ % peers.length]!.announce()) return;
  };
  onAnswer = (latency, now) => {
    if (inWindow(now) && (answers & 7) === 0) result.latencies.push(latency);
    if (++answers % fanout === 0 && !stopped) {
      if (inWindow(now)) result.announces++;
      sendOne();
    }
  };
  await sleep(cmd.startAt - Date.now());
  for (let i = 0; i < cmd.window; i++) sendOne();
  await sleep(winEnd - performance.now() + 50);
  stopped = true;
  await drain();
  return result;
}

async function drain(): Promise<void> {
  const deadline = Date.now() + 3000;
  while (announces.size > 0 && Date.now() < deadline) await sleep(20);
  announces.clear();
}

async function closeAll(): Promise<object> {
  await pool(peers, 500, (p) => new Promise<void>((resolve) => {
    if (p.ws.readyState === WebSocket.CLOSED) return resolve();
    p.ws.once('close', () => resolve());
    p.ws.terminate();
  }));
  peers = [];
  return {};
}

async function run(cmd: PeersCommand): Promise<unknown> {
  switch (cmd.cmd) {
    case 'connect':
      return connect(cmd);
    case 'fixed':
      return fixed(cmd);
    case 'saturate':
      return saturate(cmd);
    case 'close':
      return closeAll();
  }
}

answerParentCommands<PeersCommand>(run);
