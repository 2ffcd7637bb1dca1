/** connection_outcome: a signed-in client says how one peer connection it dialled ended; counted, nothing stored. */
import { ErrorCode } from '../../protocol/errors.ts';
import { fail, requireSession, type Handler } from './context.ts';

export const connectionOutcome: Handler<'connection_outcome'> = (ctx, request) => {
  const session = requireSession(ctx);
  if (!ctx.core.outcomes.record(session.tokenHash, request.outcome)) {
    fail(ErrorCode.RateLimited, 'too many connection outcomes from this session; later ones are not counted for a while');
  }
  return {};
};
