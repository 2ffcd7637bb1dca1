/**
 * The client's signal batching and settling (client/tracker-signals.ts),
 * over a line that records frames instead of a socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SIGNALS_PER_FRAME } from '../../protocol/constants.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { QuietSignals } from '../../client/tracker-signals.ts';

interface Frame {
  id: string;
  type: string;
  signals: { id: string; fileId: string; to: string; data: unknown }[];
}

/** A `signals` frame read back: its line, and each signal's data sliced by its length and parsed (protocol/signals-frame.ts). */
function readFrame(text: string): Frame {
  const nl = text.indexOf('\n');
  const head = JSON.parse(text.slice(0, nl)) as { id: string; type: string; signals: { id: string; fileId: string; to: string; length: number }[] };
  let at = nl + 1;
  const signals = head.signals.map(({ length, ...s }) => ({ ...s, data: JSON.parse(text.slice(at, (at += length))) as unknown }));
  assert.equal(at, text.length, 'the lengths cover the data exactly');
  return { ...head, signals };
}

function line(timeoutMs = 10_000) {
  const frames: Frame[] = [];
  let seq = 0;
  const state = { connected: true };
  const signals = new QuietSignals({
    send: (text) => {
      if (!state.connected) return false;
      frames.push(readFrame(text));
      return true;
    },
    nextSeq: () => ++seq,
    timeoutMs: () => timeoutMs,
  });
  return { frames, signals, state, nextSeq: () => ++seq };
}

const settled = <T>(p: Promise<T>) => p.then((v) => ({ ok: v }), (e: MeshdropError) => ({ error: e.code }));
const tick = () => new Promise((r) => setTimeout(r, 0));

test('the signals of one task leave together, in frames of at most MAX_SIGNALS_PER_FRAME', async () => {
  const { frames, signals } = line();
  for (let i = 0; i < MAX_SIGNALS_PER_FRAME + 3; i++) signals.signal('f', `p${i}`, { i }).catch(() => undefined);
  assert.equal(frames.length, 0, 'nothing before the task ends');
  await tick();
  assert.deepEqual(frames.map((f) => [f.type, f.signals.length]), [['signals', MAX_SIGNALS_PER_FRAME], ['signals', 3]]);
  assert.deepEqual(frames[1]!.signals.map((s) => s.to), ['p32', 'p33', 'p34']);
  signals.closed();
});

test('a reply to a later request settles the signals before it as relayed; a refusal rejects only its signal', async () => {
  const { frames, signals, nextSeq } = line();
  const a = settled(signals.signal('f', 'a', 1));
  const b = settled(signals.signal('f', 'b', 2));
  await tick();
  const later = nextSeq();
  const c = settled(signals.signal('f', 'c', 3));
  await tick();
  assert.equal(signals.refused(frames[0]!.signals[1]!.id, new MeshdropError(ErrorCode.Forbidden, 'no')), true);
  signals.relayedBefore(later);
  assert.deepEqual(await a, { ok: undefined });
  assert.deepEqual(await b, { error: ErrorCode.Forbidden });
  signals.closed();
  assert.deepEqual(await c, { error: ErrorCode.Disconnected }, 'sent after the reply\'s request: not settled by it');
});

test('a frame refused as a whole fails each of its signals; an unknown id is not ours', async () => {
  const { frames, signals } = line();
  const a = settled(signals.signal('f', 'a', 1));
  const b = settled(signals.signal('f', 'b', 2));
  await tick();
  assert.equal(signals.refused('someone-else', new MeshdropError(ErrorCode.InvalidMessage, 'x')), false);
  assert.equal(signals.refused(frames[0]!.id, new MeshdropError(ErrorCode.InvalidMessage, 'bad frame')), true);
  assert.deepEqual([await a, await b], [{ error: ErrorCode.InvalidMessage }, { error: ErrorCode.InvalidMessage }]);
});

test('a signal sent on a lost connection counts as relayed and is not sent again; one that never left goes, with its id, on the next', async () => {
  // Sent again to a restarted tracker, a signal names presence ids that are gone: the refusal would close a link
  // working over its own channel (tests/integration/swarm-tracker-restart.test.ts caught that).
  const { frames, signals, state } = line();
  const a = settled(signals.signal('f', 'a', 1));
  await tick();
  state.connected = false;
  const b = settled(signals.signal('f', 'b', 2));
  await tick();
  assert.equal(frames.length, 1, 'nothing sent while disconnected');
  state.connected = true;
  signals.reconnected();
  assert.deepEqual(await a, { ok: undefined }, 'the one sent before the loss is settled as relayed');
  signals.flush();
  assert.deepEqual(frames[1]!.signals.map((s) => s.to), ['b'], 'only the one that never left goes');
  signals.relayedBefore(Number.MAX_SAFE_INTEGER);
  assert.deepEqual(await b, { ok: undefined });
});

test('a signal that never left fails at the timeout; a sent one holds no timer and waits for a later reply', async () => {
  const { signals, state, nextSeq } = line(30);
  let sentSettled = false;
  const sent = settled(signals.signal('f', 'a', 1)).then((r) => ((sentSettled = true), r));
  await tick();
  state.connected = false;
  const unsent = settled(signals.signal('f', 'b', 2));
  assert.deepEqual(await unsent, { error: ErrorCode.Timeout });
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sentSettled, false, 'no timeout settles a sent signal');
  signals.relayedBefore(nextSeq());
  assert.deepEqual(await sent, { ok: undefined });
});

