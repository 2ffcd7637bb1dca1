/**
 * The tracker core and its handlers with no sockets and no disk: the core
 * takes its log through the DurableLog port, so a request can be run as the
 * gateway runs it (the request pipeline), against a log in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { coreInMemory, memoryClient, run } from '../helpers/memory-core.ts';

const client = (core: Awaited<ReturnType<typeof coreInMemory>>, name: string) => memoryClient(core, name);

test('handlers run against the core with a log in memory: sign-up, log-in, a group, and its ops in the log', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = client(core, 'ann');
  await run(ann, { type: 'create_user', userId: 'ann', password: 'password1' } as never);
  const login = await run(ann, { type: 'login', userId: 'ann', password: 'password1' } as never);
  assert.equal(typeof login.token, 'string', 'a session token');
  await run(ann, { type: 'create_group', groupId: 'family' } as never);
  const { groups } = (await run(ann, { type: 'list_groups' } as never)) as { groups: { groupId: string }[] };
  assert.deepEqual(groups.map((g) => g.groupId), ['family']);
  assert.deepEqual(log.ops.map((op) => op.kind), ['user_created', 'session_opened', 'group_created'], 'every change reached the log, in order');
});

test('a write the log cannot keep is answered unavailable and leaves nothing behind', async (t) => {
  const log = new MemoryLog();
  const core = await coreInMemory(log);
  t.after(() => core.close());
  const ann = client(core, 'ann');
  await run(ann, { type: 'create_user', userId: 'ann', password: 'password1' } as never);
  await run(ann, { type: 'login', userId: 'ann', password: 'password1' } as never);
  log.failNext = true;
  await assert.rejects(
    run(ann, { type: 'create_group', groupId: 'lost' } as never),
    (err: unknown) => err instanceof MeshdropError && err.code === ErrorCode.Unavailable,
    'the failed write is answered unavailable',
  );
  assert.equal(core.state.groups.has('lost'), false, 'the op was taken back out of the state');
  log.failNext = false;
  await run(ann, { type: 'create_group', groupId: 'kept' } as never);
  assert.deepEqual([...core.state.groups.keys()], ['kept'], 'writes work again once the log does');
});
