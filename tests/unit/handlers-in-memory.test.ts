/**
 * The tracker core and its handlers with no sockets and no disk: the core
 * takes its log through the DurableLog port, so a request can be run as the
 * gateway runs it, against a log in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import type { Reply, Request, TrackerEvent } from '../../protocol/tracker.ts';
import { TrackerCore, type ClientLink } from '../../tracker-server/core.ts';
import { handlers } from '../../tracker-server/handlers/index.ts';
import type { HandlerContext } from '../../tracker-server/handlers/context.ts';
import { LoginLimiter } from '../../tracker-server/limits.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { TEST_SCRYPT } from '../helpers/tracker.ts';

function client(name: string): ClientLink & { heard: (Reply | TrackerEvent)[] } {
  const heard: (Reply | TrackerEvent)[] = [];
  return { peerId: `peer-${name}-0000`, address: `10.0.0.${name.length}`, requestScope: `scope-${name}`, session: undefined, watching: new Set(), heard, send: (m) => heard.push(m) };
}

async function coreInMemory(log: MemoryLog): Promise<TrackerCore> {
  const config = { trackerId: 'mem', dataDir: '(memory)', scrypt: TEST_SCRYPT, iceServers: [], publicUrls: [], snapshotEvery: 1000 };
  return (await TrackerCore.open(config, () => log.opened())).core;
}

let ids = 0;
/** Runs one request the way the gateway does: dedupe scope, then its handler. */
function run(core: TrackerCore, link: ClientLink, body: Omit<Request, 'id'>): Promise<Record<string, unknown>> {
  const request = { id: `r${++ids}`, ...body } as Request;
  const ctx: HandlerContext = { core, client: link, logins: new LoginLimiter() };
  const handler = handlers[request.type as keyof typeof handlers] as (c: HandlerContext, r: Request) => object;
  return Promise.resolve(core.handleRequest(link, request, () => handler(ctx, request))) as Promise<Record<string, unknown>>;
}

test('handlers run against the core with a log in memory: sign-up, log-in, a group, and its ops in the log', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = client('ann');
  await run(core, ann, { type: 'create_user', userId: 'ann', password: 'password1' } as never);
  const login = await run(core, ann, { type: 'login', userId: 'ann', password: 'password1' } as never);
  assert.equal(typeof login.token, 'string', 'a session token');
  await run(core, ann, { type: 'create_group', groupId: 'family' } as never);
  const { groups } = (await run(core, ann, { type: 'list_groups' } as never)) as { groups: { groupId: string }[] };
  assert.deepEqual(groups.map((g) => g.groupId), ['family']);
  assert.deepEqual(log.ops.map((op) => op.kind), ['user_created', 'session_opened', 'group_created'], 'every change reached the log, in order');
});

test('a write the log cannot keep is answered unavailable and leaves nothing behind', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = client('ann');
  await run(core, ann, { type: 'create_user', userId: 'ann', password: 'password1' } as never);
  await run(core, ann, { type: 'login', userId: 'ann', password: 'password1' } as never);
  log.failNext = true;
  await assert.rejects(
    run(core, ann, { type: 'create_group', groupId: 'lost' } as never),
    (err: unknown) => err instanceof MeshdropError && err.code === ErrorCode.Unavailable,
    'the failed write is answered unavailable',
  );
  assert.equal(core.state.groups.has('lost'), false, 'the op was taken back out of the state');
  log.failNext = false;
  await run(core, ann, { type: 'create_group', groupId: 'kept' } as never);
  assert.deepEqual([...core.state.groups.keys()], ['kept'], 'writes work again once the log does');
});
