/**
 * A hand-written check of the hot `signals` frame (issue 12 item 2): most of
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
import { MAX_SIGNALS_PER_FRAME } from './constants.ts';
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

/** One signal of the frame: exactly {id, fileId, to, data}, `data` present (any JSON value). */
function isSignal(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const s = v as Record<string, unknown>;
  return (
    Object.hasOwn(s, 'data') &&
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
 * A signal's `data` as JSON text, made once by parseRequest: the size rule
 * measures that text, and the tracker relays it as it is, instead of
 * serialising `data` a second time (or a third: the size rule used to
 * stringify it too whenever a frame was long) for the event. Kept on the
 * parsed signal under a symbol, which neither JSON nor `for…in` sees.
 */
const DATA_TEXT = Symbol('signal data as JSON');
type WithText = { [DATA_TEXT]?: string };

export function keepDataText(signal: object, text: string): void {
  (signal as WithText)[DATA_TEXT] = text;
}

/** The text parseRequest made of this signal's data; undefined for a signal it did not (protocol 1's `signal`, a test's own object). */
export function dataTextOf(signal: object): string | undefined {
  return (signal as WithText)[DATA_TEXT];
}

/**
 * The relayed `signal` event as text, byte for byte what JSON.stringify
 * gives for `{event: 'signal', fileId, from, fromUser, data}` when
 * `dataText` is JSON.stringify(data) (tests/unit/signals-frame.test.ts).
 */
export function signalEventText(fileId: string, from: string, fromUser: string, dataText: string): string {
  return `{"event":"signal","fileId":${JSON.stringify(fileId)},"from":${JSON.stringify(from)},"fromUser":${JSON.stringify(fromUser)},"data":${dataText}}`;
}
