/**
 * The fuzzer (issue 8): hostile frames at every auth stage on /ws (before
 * hello, after hello, logged in) and on /mesh before the handshake. Every
 * request gets exactly one reply, never `internal` (a handler that threw),
 * or, for abuse (a frame over the size cap), a named close; the tracker
 * runs in this process, so anything that would stop a tracker fails the
 * test. Afterwards a normal client is served. Then every crasher ever found
 * (tests/fuzz-corpus/crashers.json) is replayed.
 *
 * Bounded in count (MESHDROP_FUZZ_RUNS frames per stage, default 120) and so
 * in time (seconds). The seed is printed; MESHDROP_FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { CloseCode, ErrorCode } from '../../protocol/errors.ts';
import { MESH_HANDSHAKE_MAX_FRAME_BYTES } from '../../protocol/mesh.ts';
import { deepArray, rawMesh } from '../helpers/hostile.ts';
import { hostileFrame, hostileValue, emit } from '../helpers/fuzz.ts';
import { connectClient, eventually, startTestTracker, userClient, type Teardown } from '../helpers/tracker.ts';

const RUNS = Number(process.env.MESHDROP_FUZZ_RUNS ?? 120);
const SEED = Number(process.env.MESHDROP_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CODES = new Set<string>(Object.values(ErrorCode));
/** Closes a tracker may use on a hostile client: each names the abuse. */
const ABUSE_CLOSES = new Set<number>([CloseCode.MessageTooBig, CloseCode.Flood, CloseCode.SlowConsumer]);

type Stage = 'anonymous' | 'hello' | 'logged-in';

/** A socket that tells replies from events, and counts replies. */
class Probe {
  replies: Record<string, unknown>[] = [];
  closed: Promise<number>;
  #waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>;
      if (typeof m.event === 'string') return; // pushed events are not replies
      this.replies.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    this.closed.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  static async open(t: Teardown, url: string): Promise<Probe> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    t.after(() => ws.terminate());
    const probe = new Probe(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return probe;
  }
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  /** Waits for the reply with this id (null: one without an id); undefined if the socket closed first. */
  async reply(id: string | null, what: string): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.replies.find((m) => (m.id ?? null) === id);
      if (found) return found;
      if (!this.open) return undefined;
      if (Date.now() > deadline) throw new Error(`no reply to ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  async request(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.ws.send(JSON.stringify(frame));
    const r = await this.reply(frame.id as string, frame.type as string);
    assert.ok(r, `${String(frame.type)}: socket closed`);
    return r;
  }
}

/**
 * The logged-in stage's session: resumed, so the fuzzed frames' failed
 * log-ins (which the limiter counts) never stand in its way; a fuzzed
 * `logout` ends it, and then it logs in afresh as a user the frames never name.
 */
let stageToken: string | undefined;

async function stageSocket(t: Teardown, url: string, stage: Stage, n: number): Promise<Probe> {
  const p = await Probe.open(t, url);
  if (stage === 'anonymous') return p;
  assert.equal((await p.request({ id: `h${n}`, type: 'hello', protocol: PROTOCOL_VERSION })).ok, true);
  if (stage === 'hello') return p;
  if (stageToken && (await p.request({ id: `r${n}`, type: 'resume', token: stageToken })).ok) {
    p.replies.length = 0;
    return p;
  }
  await p.request({ id: `c${n}`, type: 'create_user', userId: 'stage-user', password: 'password1' });
  const login = await p.request({ id: `l${n}`, type: 'login', userId: 'stage-user', password: 'password1' });
  assert.equal(login.ok, true, JSON.stringify(login));
  stageToken = login.token as string;
  p.replies.length = 0;
  return p;
}

/** Sends one frame and checks the answer: exactly one reply, a known code, never internal; or a named close. */
async function probeFrame(p: Probe, text: string, replyId: string | null, n: number): Promise<'replied' | 'closed'> {
  const label = () => `frame ${n} (seed ${SEED}): ${text.length > 300 ? text.slice(0, 300) + '…' : text}`;
  p.replies.length = 0;
  p.ws.send(text);
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
    assert.equal(await p.closed, CloseCode.MessageTooBig, label());
    return 'closed';
  }
  const reply = await p.reply(replyId, label());
  if (!reply) {
    assert.ok(ABUSE_CLOSES.has(await p.closed), `closed without a named code: ${label()}`);
    return 'closed';
  }
  if (reply.ok !== true) {
    const code = (reply.error as { code?: unknown } | undefined)?.code;
    assert.ok(typeof code === 'string' && CODES.has(code), `unknown error code ${String(code)}: ${label()}`);
    assert.notEqual(code, ErrorCode.Internal, `a handler threw: ${label()}`);
  }
  // Barrier: a ping after it; by its reply, the frame must have had exactly one.
  const barrier = `barrier-${n}`;
  p.ws.send(JSON.stringify({ id: barrier, type: 'ping' }));
  const b = await p.reply(barrier, `the ping after ${label()}`);
  if (!b) return 'closed';
  assert.equal(p.replies.filter((m) => m.id !== barrier).length, 1, `exactly one reply: ${label()}`);
  return 'replied';
}

/** Types that move a socket between auth stages: after one, the stage's socket is opened afresh. */
const STAGE_CHANGING = new Set(['hello', 'login', 'logout', 'resume']);

test(`fuzz: ${RUNS} hostile frames at each auth stage on /ws, each answered once`, async (t) => {
  const tracker = await startTestTracker(t);
  const owner = await userClient(t, tracker.wsUrl, 'fuzzer');
  await owner.request('create_group', { groupId: 'fuzz-group' });
  console.log(`fuzz seed ${SEED} (MESHDROP_FUZZ_SEED=${SEED} replays it)`);
  const frames = fc.sample(hostileFrame, { numRuns: RUNS * 3, seed: SEED });
  let n = 0;
  const tally = { replied: 0, closed: 0 };
  for (const stage of ['anonymous', 'hello', 'logged-in'] as const) {
    let p = await stageSocket(t, tracker.wsUrl, stage, n);
    for (const frame of frames.splice(0, RUNS)) {
      n++;
      if (!p.open) p = await stageSocket(t, tracker.wsUrl, stage, n);
      tally[await probeFrame(p, frame.text, frame.replyId, n)]++;
      if (frame.type && STAGE_CHANGING.has(frame.type)) {
        p.ws.terminate();
        p = await stageSocket(t, tracker.wsUrl, stage, n);
      }
    }
    p.ws.terminate();
  }
  console.log(`fuzz: ${tally.replied} frames answered once, ${tally.closed} closed for abuse`);
  await owner.request('create_group', { groupId: 'after-fuzz' });
  const fresh = await userClient(t, tracker.wsUrl, 'fresh-after-fuzz');
  assert.ok(fresh.peerId, 'a normal client is served afterwards');
});

test('fuzz: hostile frames on /mesh before the handshake close that socket with a named code', async (t) => {
  const tracker = await startTestTracker(t, { secret: 'fuzz-secret' });
  const values = fc.sample(hostileValue, { numRuns: 40, seed: SEED });
  for (const [i, value] of values.entries()) {
    const m = await rawMesh(t, tracker.port);
    await eventually(() => assert.equal(m.messages.length, 1, 'the challenge'));
    const text = i % 2 ? emit(value) : emit({ type: ['auth', 'sync', 'ops', 'presence', 'signal'][i % 5]!, trackerId: value, ops: value, vv: value });
    m.send(text);
    const code = await m.closed;
    const expected = Buffer.byteLength(text) > MESH_HANDSHAKE_MAX_FRAME_BYTES ? CloseCode.MessageTooBig : CloseCode.MeshAuthFailed;
    assert.equal(code, expected, `mesh frame ${i} (seed ${SEED}): ${text.slice(0, 200)}`);
  }
  const client = await connectClient(t, tracker.wsUrl);
  assert.ok(client.peerId, 'a normal client is served afterwards');
});

interface Crasher {
  name: string;
  stage: Stage | 'mesh-handshake';
  frame: string;
  expect: { error?: string; close?: number };
}

test('every crasher in tests/fuzz-corpus replays without harm', async (t) => {
  const corpus = JSON.parse(readFileSync(new URL('../fuzz-corpus/crashers.json', import.meta.url), 'utf8')) as { crashers: Crasher[] };
  assert.ok(corpus.crashers.length > 0);
  const tracker = await startTestTracker(t, { secret: 'corpus-secret' });
  await userClient(t, tracker.wsUrl, 'fuzzer');
  for (const [i, c] of corpus.crashers.entries()) {
    const text = c.frame.replace(/\$\{deep:(\d+)\}/g, (_, d: string) => deepArray(Number(d)));
    if (c.stage === 'mesh-handshake') {
      const m = await rawMesh(t, tracker.port);
      await eventually(() => assert.equal(m.messages.length, 1));
      m.send(text);
      assert.equal(await m.closed, c.expect.close, c.name);
      continue;
    }
    const p = await stageSocket(t, tracker.wsUrl, c.stage, 1000 + i);
    const id = (JSON.parse(text) as { id?: unknown }).id;
    p.ws.send(text);
    const reply = await p.reply(typeof id === 'string' ? id : null, c.name);
    assert.ok(reply, `${c.name}: closed`);
    assert.equal((reply.error as { code: string } | undefined)?.code, c.expect.error, c.name);
    assert.equal((await p.request({ id: 'after', type: 'ping' })).ok, true, `${c.name}: the connection lives`);
    p.ws.terminate();
  }
  const client = await connectClient(t, tracker.wsUrl);
  assert.ok(client.peerId);
});
