/**
 * A tracker core with its log in memory, and requests run through the real
 * request pipeline (tracker-server/pipeline.ts) without a socket: a client
 * link that records what it is sent, and an edge that says hello as a
 * connection does. For unit tests of handlers and of the request table.
 */
import type { Reply, Request, ReplyBody, TrackerEvent } from '../../protocol/tracker.ts';
import { TrackerCore, type ClientLink } from '../../tracker-server/core.ts';
import { LoginLimiter } from '../../tracker-server/limits.ts';
import { contextFor, runRequest, type RequestEdge } from '../../tracker-server/pipeline.ts';
import { MemoryLog } from './memory-log.ts';
import { readFrame } from './raw.ts';
import { TEST_SCRYPT } from './tracker.ts';

export interface MemoryClient extends ClientLink, RequestEdge {
  /** Everything the tracker sent this client (events; replies are returned by `run`). */
  readonly heard: (Reply | TrackerEvent)[];
  requestScope: string;
}

export async function coreInMemory(log = new MemoryLog(), trackerId = 'mem'): Promise<TrackerCore> {
  const config = { trackerId, dataDir: '(memory)', scrypt: TEST_SCRYPT, iceServers: [], publicUrls: [], snapshotEvery: 1000 };
  return (await TrackerCore.open(config, () => log.opened())).core;
}

let peers = 0;
/** A connected client that has said hello (its peer id is reachable, its request ids scoped to `name`). */
export function memoryClient(core: TrackerCore, name: string, logins = new LoginLimiter()): MemoryClient {
  const heard: (Reply | TrackerEvent)[] = [];
  let helloDone = false;
  const link: MemoryClient = {
    peerId: `peer-${name}-${String(++peers).padStart(4, '0')}`,
    address: `10.0.0.${(peers % 250) + 1}`,
    requestScope: `scope-${name}`,
    session: undefined,
    watching: new Set(),
    heard,
    send: (m) => void heard.push(m),
    // Read back as a client reads it (a relayed signal's data after its line).
    sendText: (text) => void heard.push(readFrame(text) as unknown as TrackerEvent),
    get helloDone() {
      return helloDone;
    },
    context: undefined as never,
    hello(_protocol, clientSecret): ReplyBody<'hello'> {
      helloDone = true;
      if (clientSecret !== undefined) link.requestScope = clientSecret;
      core.clients.attach(link);
      return { trackerId: core.trackerId, peerId: link.peerId, trackers: [], iceServers: [] };
    },
  };
  (link as { context: unknown }).context = contextFor(core, link, logins);
  link.hello(0, undefined);
  return link;
}

let ids = 0;
export const nextRequestId = (): string => `r${++ids}`;

/** Runs one request the way a connection does (the pipeline, as the request table says); `id` to send a retry. */
export async function run(client: MemoryClient, body: Omit<Request, 'id'>, id = nextRequestId()): Promise<Record<string, unknown>> {
  return (await runRequest(client, { id, ...body } as Request)) as Record<string, unknown>;
}
