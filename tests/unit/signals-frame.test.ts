/**
 * The `signals` frame (protocol/signals-frame.ts). The hand-written check of
 * its line against the zod schema it stands in for: it may only accept what
 * zod accepts, with the same value, and whatever it does not accept still
 * gets zod's own refusal from parseRequest. Then the data after the line:
 * sliced by the lengths the line gives, relayed as sent, and read by the
 * receiver apart from the tracker's own line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SIGNAL_BYTES, MAX_SIGNAL_DEPTH, MAX_SIGNALS_PER_FRAME } from '../../protocol/constants.ts';
import { dataTextOf, encodeSignalsFrame, quickSignalsFrame, readTrackerFrame, signalEventText } from '../../protocol/signals-frame.ts';
import { parseRequest, Request } from '../../protocol/tracker.ts';

const FILE = 'a'.repeat(40);
const signal = (over: Record<string, unknown> = {}) => ({ id: 's1', fileId: FILE, to: 'peer-abcdefgh', length: 20, ...over });
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
  const many = frame({ signals: Array.from({ length: MAX_SIGNALS_PER_FRAME }, (_, i) => signal({ id: `s${i}`, length: i % 2 ? 1 : MAX_SIGNAL_BYTES })) });
  assert.equal(agrees(JSON.stringify(many), 'a full frame'), true);
  assert.equal(agrees(JSON.stringify(frame({ id: 'x'.repeat(64) })), 'a 64-unit id'), true);
});

test('hostile shapes are never accepted by hand, and parseRequest still refuses them in zod\'s words', () => {
  const hostile: [string, string][] = [
    ['an extra key', JSON.stringify(frame({ extra: 1 }))],
    ['an extra key in a signal', JSON.stringify(frame({ signals: [signal({ extra: 1 })] }))],
    ['__proto__ as a key', JSON.stringify(frame()).replace('{"id"', '{"__proto__":{"polluted":1},"id"')],
    ['__proto__ in a signal', JSON.stringify(frame()).replace('[{"id"', '[{"__proto__":{"data":1},"id"')],
    ['a signal without length', JSON.stringify(frame({ signals: [{ id: 's', fileId: FILE, to: 'peer-abcdefgh' }] }))],
    ['a signal with data in the line (protocol 2\'s form)', JSON.stringify(frame({ signals: [{ id: 's', fileId: FILE, to: 'peer-abcdefgh', data: {} }] }))],
    ['a length of 0', JSON.stringify(frame({ signals: [signal({ length: 0 })] }))],
    ['a negative length', JSON.stringify(frame({ signals: [signal({ length: -1 })] }))],
    ['a fractional length', JSON.stringify(frame({ signals: [signal({ length: 1.5 })] }))],
    ['a length as a string', JSON.stringify(frame({ signals: [signal({ length: '20' })] }))],
    ['a length over the signal limit', JSON.stringify(frame({ signals: [signal({ length: MAX_SIGNAL_BYTES + 1 })] }))],
    ['a length of null', JSON.stringify(frame({ signals: [signal({ length: null })] }))],
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
    const r = Request.safeParse(JSON.parse(text));
    // With the data its line asks for after it (when zod takes the line, its lengths are good).
    const wanted = r.success && r.data.type === 'signals' ? r.data.signals.reduce((n, s) => n + s.length, 0) : 0;
    const viaParse = parseRequest(`${text}\n${'1'.repeat(wanted)}`);
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
  const values = (): unknown => [null, 0, -1, 1.5, 20, MAX_SIGNAL_BYTES + 1, true, '', 'x', 'peer-abcdefgh', FILE, 'Ü'.repeat(rand(70)), [], {}, [signal()], { a: 1 }][rand(16)];
  const keys = ['id', 'type', 'signals', 'fileId', 'to', 'length', 'data', '__proto__', 'constructor', 'extra'];
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

const DATAS: unknown[] = [
  { conn: 'c1', data: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } },
  { conn: 'c2', data: { candidate: { candidate: 'candidate:1 1 udp 1 192.168.1.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } } },
  null, 0, -1.5e-7, 1e21, true, '', 'quote " backslash \\ tab \t', 'ünïcödé 😀 \ud800 lone', [1, [2, [3]]], { '': { 'a"b': [] } },
];

test('a frame made by encodeSignalsFrame parses back to its signals, each with its data\'s text as sent', () => {
  const signals = DATAS.map((data, i) => ({ id: `s${i}`, fileId: FILE, to: 'peer-abcdefgh', data: JSON.stringify(data) }));
  const r = parseRequest(encodeSignalsFrame('f1', signals));
  assert.ok(r.ok && r.request.type === 'signals', JSON.stringify(r));
  assert.deepEqual(r.request.signals.map((s) => [s.id, s.fileId, s.to, dataTextOf(s)]), signals.map((s) => [s.id, s.fileId, s.to, s.data]));
  // The text kept on a signal is invisible to JSON and to key checks.
  assert.deepEqual(Object.keys(r.request.signals[0]!), ['id', 'fileId', 'to', 'length']);
  // Data written with whitespace and newlines of its own (any JSON text) is sliced by length, newlines and all.
  const pretty = JSON.stringify({ a: [1, 2] }, null, 2);
  const p = parseRequest(encodeSignalsFrame('f2', [{ id: 'a', fileId: FILE, to: 'peer-abcdefgh', data: pretty }, { id: 'b', fileId: FILE, to: 'peer-abcdefgh', data: '7' }]));
  assert.ok(p.ok && p.request.type === 'signals');
  assert.deepEqual(p.request.signals.map((s) => dataTextOf(s)), [pretty, '7']);
});

test('a frame whose data does not match its line, or a line that is not one line of JSON, is refused in words that say so', () => {
  const line = (lengths: number[]) => JSON.stringify({ id: 'f9', type: 'signals', signals: lengths.map((length, i) => ({ id: `s${i}`, fileId: FILE, to: 'peer-abcdefgh', length })) });
  const cases: [string, string, string][] = [
    ['data shorter than the lengths', `${line([4, 4])}\n1234123`, 'signals: the data after the first line is 7 characters, not the 8'],
    ['data longer than the lengths', `${line([4])}\n12345`, 'signals: the data after the first line is 5 characters, not the 4'],
    ['no data at all', line([4]), 'signals: the data after the first line is 0 characters, not the 4'],
    ['a request of another type with text after its line', `${JSON.stringify({ id: 'p1', type: 'ping' })}\nx`, 'ping: only a signals message carries data after its first line'],
    ['a request written over several lines', JSON.stringify({ id: 'p2', type: 'ping' }, null, 2), 'the first line of a message is not valid JSON (send each message as JSON on one line)'],
  ];
  for (const [why, text, message] of cases) {
    const r = parseRequest(text);
    assert.equal(r.ok, false, why);
    if (!r.ok) assert.ok(r.error.message.startsWith(message), `${why}: ${r.error.message}`);
  }
  // The frame's id is named when its line was read, so the client fails that frame's signals at once.
  const short = parseRequest(`${line([4])}\n1`);
  assert.ok(!short.ok && short.id === 'f9');
});

test('a relayed event reads back, at the receiver, as the event with the sender\'s data', () => {
  for (const data of DATAS) {
    const read = readTrackerFrame(signalEventText(FILE, 'peer-abcdefgh', 'alice.b-c_d', JSON.stringify(data)));
    assert.ok(read.ok);
    assert.deepEqual(read.value, { event: 'signal', fileId: FILE, from: 'peer-abcdefgh', fromUser: 'alice.b-c_d', data }, JSON.stringify(data));
  }
  // Frames of one line read as JSON, as before.
  assert.deepEqual(readTrackerFrame('{"id":"r1","ok":true}'), { ok: true, value: { id: 'r1', ok: true } });
});

test('data a peer sent that is not JSON, too deep, or shaped to look like the tracker\'s line is that one signal\'s problem, never the line\'s', () => {
  const event = (dataText: string) => readTrackerFrame(signalEventText(FILE, 'peer-abcdefgh', 'alice', dataText));
  assert.deepEqual(event('{"type":"offer"'), { ok: false, problem: 'a relayed signal whose data is not JSON' });
  assert.deepEqual(event('[]]'), { ok: false, problem: 'a relayed signal whose data is not JSON' });
  const deep = '['.repeat(MAX_SIGNAL_DEPTH + 1) + ']'.repeat(MAX_SIGNAL_DEPTH + 1);
  assert.deepEqual(event(deep), { ok: false, problem: `a relayed signal whose data nests deeper than ${MAX_SIGNAL_DEPTH} levels` });
  assert.ok(event('['.repeat(MAX_SIGNAL_DEPTH) + ']'.repeat(MAX_SIGNAL_DEPTH)).ok);
  // Data written as if it closed the event and named another sender stays data: `from` is the tracker's.
  const spoof = event('1,"from":"peer-mallory0"}');
  assert.equal(spoof.ok, false);
  const asData = event(JSON.stringify({ from: 'peer-mallory0', fromUser: 'mallory' }));
  assert.ok(asData.ok);
  assert.equal(asData.value.from, 'peer-abcdefgh');
  assert.equal(asData.value.fromUser, 'alice');
  // Text after the line of anything but a relayed signal is refused, as is a line that is not JSON.
  assert.deepEqual(readTrackerFrame('{"id":"r1","ok":true}\n{}'), { ok: false, problem: 'a frame with text after its first line that is not a relayed signal' });
  assert.deepEqual(readTrackerFrame('{"event":\n"signal"}'), { ok: false, problem: 'a frame that is not JSON' });
});
