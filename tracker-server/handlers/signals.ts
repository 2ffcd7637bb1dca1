/**
 * `signals`: several signals in one frame, each authorised and relayed on its
 * own (presence.ts `relaySignal`, the rule `signal` follows). The frame is
 * answered only for the signals refused: the connection writes one error
 * reply per refusal, under that signal's id, and nothing for the others. A
 * relayed signal so costs one read (shared by the frame) and the push to its
 * receiver, not a reply to its sender as well.
 */
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { ErrorBody } from '../../protocol/replies.ts';
import type { RequestOf } from '../../protocol/tracker.ts';
import type { HandlerContext } from './context.ts';
import { dataTextOf } from '../../protocol/signals-frame.ts';
import { relaySignal } from './presence.ts';

/** A signal of the frame that was not relayed, and why. */
export interface RefusedSignal {
  id: string;
  error: ErrorBody;
}

/** The handler's result: the refusals, in the frame's order (empty when every signal went). */
export interface SignalsResult {
  refused: RefusedSignal[];
}

const NONE: RefusedSignal[] = [];

/**
 * Its result is for the connection, not a reply body (no `ok` reply is ever
 * sent), so it is typed apart from the table's Handler<'signals'>.
 */
export const signals = (ctx: HandlerContext, request: RequestOf<'signals'>): SignalsResult => {
  let refused = NONE;
  for (const s of request.signals) {
    try {
      relaySignal(ctx, s.fileId, s.to, dataTextOf(s));
    } catch (err) {
      if (refused === NONE) refused = [];
      if (err instanceof MeshdropError) {
        refused.push({ id: s.id, error: { code: err.code, message: err.message } });
      } else {
        console.error('tracker: relaying a signal failed:', err);
        refused.push({ id: s.id, error: { code: ErrorCode.Internal, message: 'the tracker failed to relay that signal; try again' } });
      }
    }
  }
  return { refused };
};
