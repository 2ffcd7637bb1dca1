/**
 * The request pipeline: a parsed request runs the way its descriptor in the
 * request table (requests.ts) says, and nothing here knows request types.
 * The gateway's connection parses the frame (protocol/tracker.ts
 * `parseRequest`) and hands the typed request here; the result is the reply
 * body, or a promise of it, or a thrown MeshdropError.
 *
 * The request's dedupe key is passed explicitly: a `write` request's handler
 * gets a context of its own whose `commit` stamps each op with the key. The
 * other requests share one context per connection, whose `commit` refuses:
 * a request the table says makes no op cannot make one by mistake.
 *
 * Soft requests (signals, presence) stay synchronous and allocate nothing
 * here: one table lookup, then the handler.
 */
import { ErrorCode, MeshdropError } from '../protocol/errors.ts';
import type { Op } from '../protocol/ops.ts';
import type { Request } from '../protocol/tracker.ts';
import type { ClientLink, TrackerCore } from './core.ts';
import type { HandlerContext } from './handlers/context.ts';
import type { LoginLimiter } from './limits.ts';
import { requestKey } from './request-ledger.ts';
import { requests, type ConnectionRequests } from './requests.ts';
import type { State } from './state/model.ts';

/** What the pipeline needs of the connection a request came on. */
export interface RequestEdge extends ConnectionRequests {
  /** Hello was said: every request but hello and ping needs it first. */
  readonly helloDone: boolean;
  /** The connection's handler context (`contextFor`), shared by its requests that make no op. */
  readonly context: HandlerContext;
}

/** The typed shape every descriptor is read through here (the table itself is checked per type). */
interface AnyDescriptor {
  runs: 'connection' | 'soft' | 'read' | 'write';
  handler: (ctx: never, request: never) => object | Promise<object>;
  replay?: (request: never, op: Op, state: State, userId: string | undefined) => object | undefined;
}
type Run = (ctx: unknown, request: Request) => object | Promise<object>;

const makesNoOp = (): never => {
  throw new Error('this request makes no op (its descriptor in requests.ts says so)');
};

/** A connection's shared handler context: no request key, and `commit` refused. */
export function contextFor(core: TrackerCore, client: ClientLink, logins: LoginLimiter): HandlerContext {
  return { core, client, logins, requestKey: undefined, commit: makesNoOp };
}

/** Runs one parsed request as its descriptor says; see the header. */
export function runRequest(edge: RequestEdge, request: Request): object | Promise<object> {
  const descriptor = requests[request.type] as unknown as AnyDescriptor;
  const run = descriptor.handler as Run;
  if (descriptor.runs === 'connection') return run(edge, request);
  if (!edge.helloDone) throw new MeshdropError(ErrorCode.HelloFirst, 'say hello first');
  const ctx = edge.context;
  switch (descriptor.runs) {
    case 'soft':
      return run(ctx, request);
    case 'read': {
      // Writes on their way to disk first: a read never shows an op that may yet be taken back.
      const writes = ctx.core.writesInFlight();
      return writes ? writes.then(() => run(ctx, request)) : run(ctx, request);
    }
    default:
      return runWrite(ctx, descriptor, request);
  }
}

/**
 * A request that may make ops: its key is (client secret, request id), so a
 * retry from the same client, here or on any tracker holding the op, is
 * answered from it (request-ledger.ts), and nobody else's same id can be.
 */
function runWrite(shared: HandlerContext, descriptor: AnyDescriptor, request: Request): object | Promise<object> {
  const { core, client } = shared;
  const key = requestKey(client.requestScope, request.id);
  const ctx: HandlerContext = { ...shared, requestKey: key, commit: (body) => core.commit(body, key) };
  const run = descriptor.handler as Run;
  const handle = () => {
    const userId = client.session?.userId;
    return core.requests.handle(
      key,
      () => run(ctx, request),
      (op) => replayed(descriptor, request, op, core.state, userId),
    );
  };
  // A retry of a request whose op is being written (replicated here a moment
  // ago) waits for it: once durable it is answered from it; if the write
  // failed, it runs afresh.
  const waitFor = core.unsavedRequest(key);
  return waitFor ? waitFor.then(handle) : handle();
}

/** The reply rebuilt from the op a first attempt made, for the one who made it only. */
function replayed(descriptor: AnyDescriptor, request: Request, op: Op, state: State, userId: string | undefined): object {
  const mismatch = (): never => {
    throw new MeshdropError(ErrorCode.InvalidMessage, `request id ${request.id} was already used for another request`);
  };
  if ('by' in op && op.by !== userId) return mismatch();
  return descriptor.replay?.(request as never, op, state, userId) ?? mismatch();
}
