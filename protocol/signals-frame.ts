/**
 * A hand-written check of the hot `signals` frame's line (issue 12 item 2): most of
 * a tracker's traffic, and zod's generic walk (and the copy of every object
 * it returns) cost a tracker more per relayed signal than the relay itself.
 *
 * It only ever says yes: it returns the frame, typed, when the frame is one
 * the zod schema (`Request`'s `signals` option in tracker.ts) accepts with
 * the same value, and undefined for anything else, which then goes through
 * zod as before. So refusals keep zod's words exactly, and the only risk is
 * accepting something zod would refuse: every rule below is zod's, checked
 * the same way (lengths in UTF-16 units as `String.length`, exact key sets
 * as `strictObject`, the same patterns), and tests/unit/signals-frame.test.ts
 * compares the two on hostile shapes.
 *
 * The value is the parsed frame itself, not a copy: it came from JSON.parse,
 * so it has only own data properties and plain prototypes.
 */
import { MAX_SIGNAL_BYTES, MAX_SIGNAL_DEPTH, MAX_SIGNALS_PER_FRAME } from './constants.ts';
import { nestingWithin } from './depth.ts';
import type { RequestOf } from './tracker.ts';

/** RequestId's bounds in tracker.ts (a string of 1 to 64 UTF-16 units). */
const MAX_REQUEST_ID_LENGTH = 64;
const SHA1_HEX = /^[0-9a-f]{40}$/;
const PEER_ID = /^[A-Za-z0-9_-]{8,32}$/;

const isRequestId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= MAX_REQUEST_ID_LENGTH;

/** A plain object (not an array, not null) with exactly `n` own enumerable keys. */
function hasKeyCount(v: object, n: number): boolean {
  let count = 0;
  for (const key in v) {
    // for…in also walks the prototype chain: parsed JSON has none of its own, but say so rather than assume.
    if (!Object.hasOwn(v, key)) return false;
    count++;
  }
  return count === n;
}

/** One signal of the frame's line: exactly {id, fileId, to, length}, `length` an integer from 1 to MAX_SIGNAL_BYTES. */
function isSignal(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.length === 'number' && Number.isInteger(s.length) && s.length >= 1 && s.length <= MAX_SIGNAL_BYTES &&
    isRequestId(s.id) &&
    typeof s.fileId === 'string' && SHA1_HEX.test(s.fileId) &&
    typeof s.to === 'string' && PEER_ID.test(s.to) &&
    hasKeyCount(s, 4)
  );
}

/**
 * The frame as zod would return it, when it is a valid `signals` request;
 * undefined when it is not, or not surely (the caller then asks zod).
 * `obj` is a parsed JSON object whose `type` is "signals".
 */
export function quickSignalsFrame(obj: Record<string, unknown>): RequestOf<'signals'> | undefined {
  if (obj.type !== 'signals' || !isRequestId(obj.id) || !hasKeyCount(obj, 3)) return undefined;
  const list = obj.signals;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_SIGNALS_PER_FRAME) return undefined;
  for (let i = 0; i < list.length; i++) if (!isSignal(list[i])) return undefined;
  return obj as unknown as RequestOf<'signals'>;
}

/**
 * The framed form of `signals` (protocol 3): the request's JSON on the
 * frame's first line, each signal naming the `length` of its data, and the
 * signals' data after the newline, as JSON texts back to back in the
 * signals' order. The tracker parses the line and slices the rest: it never
 * parses a signal's data (an SDP, most of a frame's bytes) nor serialises it
 * again for the receiver, who gets it as sent (`signalEventText`). That
 * parse and that serialisation were the largest part of the tracker's own
 * work per relayed signal (docs/bench-tracker.md). JSON.stringify never
 * writes a raw newline, so the first one always ends the line.
 *
 * The data is the receiver's to check: the tracker relays it between two
 * members of the file's group, and the receiver parses it apart from the
 * tracker's line (client/tracker.ts), so bad data from a peer is dropped as
 * that peer's and can never change what the line says.
 */

/** A `signals` frame's text: `signals[i].data` is that signal's data as JSON text. */
export function encodeSignalsFrame(id: string, signals: readonly { id: string; fileId: string; to: string; data: string }[]): string {
  const line = JSON.stringify({ id, type: 'signals', signals: signals.map((s) => ({ id: s.id, fileId: s.fileId, to: s.to, length: s.data.length })) });
  let data = '';
  for (const s of signals) data += s.data;
  return `${line}\n${data}`;
}

/** A signal's data as JSON text, sliced from its frame by `attachSignalData`; kept under a symbol, which neither JSON nor `for…in` sees. */
const DATA_TEXT = Symbol('signal data as JSON');
type WithText = { [DATA_TEXT]?: string };

/**
 * Slices each signal's data from what followed the frame's line, by the
 * lengths the line gave (already checked to be 1 to MAX_SIGNAL_BYTES each),
 * and keeps it on its signal for the relay (`dataTextOf`). Returns what is
 * wrong, or undefined: the lengths must add up to exactly what is there.
 */
export function attachSignalData(signals: readonly { length: number }[], data: string): string | undefined {
  let total = 0;
  for (const s of signals) total += s.length;
  if (total !== data.length) {
    return `the data after the first line is ${data.length} characters, not the ${total} its signals' lengths add up to`;
  }
  let at = 0;
  for (const s of signals) (s as WithText)[DATA_TEXT] = data.slice(at, (at += s.length));
  return undefined;
}

/** The data `attachSignalData` sliced for this signal. */
export function dataTextOf(signal: object): string {
  const text = (signal as WithText)[DATA_TEXT];
  if (text === undefined) throw new Error('this signal\'s data was never attached (parseRequest attaches it)');
  return text;
}

/**
 * The relayed `signal` event as the receiver gets it: the event's JSON
 * (`{event: 'signal', fileId, from, fromUser}`) on the first line, then the
 * sender's data as it sent it.
 */
export function signalEventText(fileId: string, from: string, fromUser: string, dataText: string): string {
  return `{"event":"signal","fileId":${JSON.stringify(fileId)},"from":${JSON.stringify(from)},"fromUser":${JSON.stringify(fromUser)}}\n${dataText}`;
}

export type ReadFrame = { ok: true; value: Record<string, unknown> } | { ok: false; problem: string };

/**
 * A frame from the tracker as a client reads it: its line's JSON object,
 * and for a relayed signal the sender's data, parsed apart and put on the
 * event as `data`. Data that is not JSON, or nests deeper than any signal
 * does (MAX_SIGNAL_DEPTH: what reads it after is recursive), is a problem of
 * that one signal, from that one peer. Never throws.
 */
export function readTrackerFrame(text: string): ReadFrame {
  const nl = text.indexOf('\n');
  let value: unknown;
  try {
    value = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  } catch {
    return { ok: false, problem: 'a frame that is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'a frame that is not a JSON object' };
  const obj = value as Record<string, unknown>;
  if (nl < 0) return { ok: true, value: obj };
  if (obj.event !== 'signal') return { ok: false, problem: 'a frame with text after its first line that is not a relayed signal' };
  let data: unknown;
  try {
    data = JSON.parse(text.slice(nl + 1));
  } catch {
    return { ok: false, problem: 'a relayed signal whose data is not JSON' };
  }
  if (!nestingWithin(data, MAX_SIGNAL_DEPTH)) return { ok: false, problem: `a relayed signal whose data nests deeper than ${MAX_SIGNAL_DEPTH} levels` };
  obj.data = data;
  return { ok: true, value: obj };
}
