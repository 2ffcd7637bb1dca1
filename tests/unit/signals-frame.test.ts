/**
 * The hand-written check of the `signals` frame (protocol/signals-frame.ts)
 * against the zod schema it stands in for: it may only accept what zod
 * accepts, with the same value, and whatever it does not accept still gets
 * zod's own refusal from parseRequest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SIGNALS_PER_FRAME } from '../../protocol/constants.ts';
import { dataTextOf, quickSignalsFrame, signalEventText } from '../../protocol/signals-frame.ts';
import { parseRequest, Request } from '../../protocol/tracker.ts';

const FILE = 'a'.repeat(40);
const signal = (over: Record<string, unknown> = {}) => ({ id: 's1', fileId: FILE, to: 'peer-abcdefgh', data: { conn: 'c1', data: { type: 'offer', sdp: 'v=0\r\n' } }, ...over });
const frame = (over: Record<string, unknown> = {}) => ({ id: 'f1', type: 'signals', signals: [signal()], ...over });

/** Zod's verdict and value for the same parsed object. */
function zod(obj: unknown): { ok: boolean; value?: unknown } {
  const r = Request.safeParse(obj);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

/** The rule: quick accepts only what zod accepts, and returns what zod returns. */
function agrees(text: string, why: string): boolean {
  const obj = JSON.parse(text) as Record<string, unknown>;
  const quick = typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? quickSignalsFrame(obj) : undefined;
  const z = zod(JSON.parse(text));
  if (quick) {
    assert.ok(z.ok, `${why}: accepted by hand but refused by zod: ${text.slice(0, 200)}`);
    assert.deepEqual(quick, z.value, `${why}: a different value`);
  }
  return quick !== undefined;
}

test('a valid frame is accepted by hand, with the value zod gives', () => {
  assert.equal(agrees(JSON.stringify(frame()), 'valid'), true);
  const many = frame({ signals: Array.from({ length: MAX_SIGNALS_PER_FRAME }, (_, i) => signal({ id: `s${i}`, data: i % 2 ? null : [1, 'x', { a: true }] })) });
  assert.equal(agrees(JSON.stringify(many), 'a full frame'), true);
  assert.equal(agrees(JSON.stringify(frame({ id: 'x'.repeat(64) })), 'a 64-unit id'), true);
});

test('hostile shapes are never accepted by hand, and parseRequest still refuses them in zod\'s words', () => {
  const hostile: [string, string][] = [
    ['an extra key', JSON.stringify(frame({ extra: 1 }))],
    ['an extra key in a signal', JSON.stringify(frame({ signals: [signal({ extra: 1 })] }))],
    ['__proto__ as a key', JSON.stringify(frame()).replace('{"id"', '{"__proto__":{"polluted":1},"id"')],
    ['__proto__ in a signal', JSON.stringify(frame()).replace('[{"id"', '[{"__proto__":{"data":1},"id"')],
    ['a signal without data', JSON.stringify(frame({ signals: [{ id: 's', fileId: FILE, to: 'peer-abcdefgh' }] }))],
    ['no id', JSON.stringify({ type: 'signals', signals: [signal()] })],
    ['an empty id', JSON.stringify(frame({ id: '' }))],
    ['a 65-unit id', JSON.stringify(frame({ id: 'x'.repeat(65) }))],
    ['an id of 33 astral characters (66 units)', JSON.stringify(frame({ id: '😀'.repeat(33) }))],
    ['a numeric id', JSON.stringify(frame({ id: 7 }))],
    ['a signal id of 65 units', JSON.stringify(frame({ signals: [signal({ id: 'y'.repeat(65) })] }))],
    ['a signal id that is an object', JSON.stringify(frame({ signals: [signal({ id: { toString: 'x' } })] }))],
    ['an upper-case file id', JSON.stringify(frame({ signals: [signal({ fileId: 'A'.repeat(40) })] }))],
    ['a 39-digit file id', JSON.stringify(frame({ signals: [signal({ fileId: 'a'.repeat(39) })] }))],
    ['a file id with a newline after it', JSON.stringify(frame({ signals: [signal({ fileId: `${FILE}\n` })] }))],
    ['a file id that is an array', JSON.stringify(frame({ signals: [signal({ fileId: [FILE] })] }))],
    ['a 7-character peer id', JSON.stringify(frame({ signals: [signal({ to: 'abcdefg' })] }))],
    ['a 33-character peer id', JSON.stringify(frame({ signals: [signal({ to: 'a'.repeat(33) })] }))],
    ['a peer id with a dot', JSON.stringify(frame({ signals: [signal({ to: 'peer.abcdefgh' })] }))],
    ['no signals', JSON.stringify(frame({ signals: [] }))],
    ['one signal too many', JSON.stringify(frame({ signals: Array.from({ length: MAX_SIGNALS_PER_FRAME + 1 }, () => signal()) }))],
    ['signals as an object', JSON.stringify(frame({ signals: { 0: signal(), length: 1 } }))],
    ['signals as a string', JSON.stringify(frame({ signals: 'x' }))],
    ['a signal that is null', JSON.stringify(frame({ signals: [null] }))],
    ['a signal that is an array', JSON.stringify(frame({ signals: [[FILE, 'peer-abcdefgh', {}]] }))],
    ['a signal that is a string', JSON.stringify(frame({ signals: ['s'] }))],
    ['a good signal then a bad one', JSON.stringify(frame({ signals: [signal(), signal({ to: 'x' })] }))],
  ];
  for (const [why, text] of hostile) {
    assert.equal(agrees(text, why), false, `${why}: accepted by hand`);
    const viaParse = parseRequest(text);
    const r = Request.safeParse(JSON.parse(text));
    // parseRequest answers as zod alone would: refused, and (for zod's refusals) in zod's words.
    assert.equal(viaParse.ok, r.success, why);
    if (!viaParse.ok && !r.success) {
      const issue = r.error.issues[0]!;
      assert.ok(viaParse.error.message.includes(issue.message.slice(0, 40)), `${why}: ${viaParse.error.message}`);
    }
  }
});

test('random mutations of a valid frame: whatever the hand check accepts, zod accepts with the same value', () => {
  // A small seeded generator: the same cases every run.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const values = (): unknown => [null, 0, -1, 1.5, true, '', 'x', 'peer-abcdefgh', FILE, 'Ü'.repeat(rand(70)), [], {}, [signal()], { a: 1 }][rand(14)];
  const keys = ['id', 'type', 'signals', 'fileId', 'to', 'data', '__proto__', 'constructor', 'extra'];
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const f = frame({ signals: Array.from({ length: 1 + rand(3) }, (_, j) => signal({ id: `s${j}` })) }) as Record<string, any>;
    for (let m = rand(3); m >= 0; m--) {
      const inner = Array.isArray(f.signals) ? f.signals[rand(f.signals.length)] : undefined;
      const target = rand(2) || typeof inner !== 'object' || inner === null ? f : inner;
      const key = keys[rand(keys.length)]!;
      const what = rand(3);
      if (what === 0) delete target[key];
      else target[key] = values();
    }
    // Through text, as a frame arrives (an own "__proto__" key survives only that way).
    let text = JSON.stringify(f);
    if (rand(10) === 0) text = text.replace('{"id"', '{"__proto__":1,"id"');
    if (agrees(text, `mutation ${i}`)) accepted++;
  }
  // Some mutations leave a valid frame (a key set to a value it may have): the comparison saw both kinds.
  assert.ok(accepted > 0 && accepted < 3000, `accepted ${accepted}`);
});

test('the relayed event as text is byte for byte JSON.stringify of the event', () => {
  const datas: unknown[] = [
    { conn: 'c1', data: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } },
    { conn: 'c2', data: { candidate: { candidate: 'candidate:1 1 udp 1 192.168.1.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } } },
    null, 0, -1.5e-7, 1e21, true, '', 'quote " backslash \\ tab \t', 'ünïcödé 😀 \ud800 lone', [1, [2, [3]]], { '': { 'a"b': [] } },
  ];
  for (const data of datas) {
    const event = { event: 'signal', fileId: FILE, from: 'peer-abcdefgh', fromUser: 'alice.b-c_d', data };
    assert.equal(signalEventText(event.fileId, event.from, event.fromUser, JSON.stringify(data)), JSON.stringify(event), JSON.stringify(data));
  }
});

test('parseRequest keeps each signal\'s data as JSON text, once, for the relay; none for a signal without data', () => {
  const text = JSON.stringify(frame({ signals: [signal({ id: 'a' }), signal({ id: 'b', data: [1, 'x'] })] }));
  const r = parseRequest(text);
  assert.ok(r.ok && r.request.type === 'signals');
  const [a, b] = r.request.signals;
  assert.equal(dataTextOf(a!), JSON.stringify(a!.data));
  assert.equal(dataTextOf(b!), '[1,"x"]');
  // The kept text is invisible to JSON and to key checks.
  assert.equal(JSON.stringify(a), JSON.stringify(signal({ id: 'a' })));
  assert.deepEqual(Object.keys(a!), ['id', 'fileId', 'to', 'data']);
  const noData = parseRequest(JSON.stringify(frame({ signals: [{ id: 's', fileId: FILE, to: 'peer-abcdefgh' }] })));
  if (noData.ok && noData.request.type === 'signals') assert.equal(dataTextOf(noData.request.signals[0]!), undefined);
});
