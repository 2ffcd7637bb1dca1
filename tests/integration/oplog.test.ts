/** The op log on a real disk: append, snapshot, rotate, recover. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpLog } from '../../tracker-server/store/oplog.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { opMaker } from '../helpers/ops.ts';
import { tempDir } from '../helpers/tracker.ts';

const userOps = (n: number, origin = 'T') => {
  const make = opMaker(origin);
  return Array.from({ length: n }, (_, i) => make(i + 1, { kind: 'user_created', userId: `u${i}`, salt: 's', hash: 'h' }));
};

async function reopen(dir: string) {
  const { log, recovered } = await OpLog.open(dir);
  const replica = new Replica();
  if (recovered.snapshot) replica.addMany(recovered.snapshot.ops);
  replica.addMany(recovered.tail);
  return { log, replica, recovered };
}

test('appended ops come back after a reopen, in order', async (t) => {
  const dir = await tempDir(t);
  const { log } = await OpLog.open(dir);
  const ops = userOps(50);
  await Promise.all(ops.map((op) => log.append(op)));
  await log.close();
  const { recovered, log: again } = await reopen(dir);
  assert.deepEqual(recovered.tail, ops);
  await again.close();
});

test('a snapshot plus the log after it restores the same state; covered logs are deleted', async (t) => {
  const dir = await tempDir(t);
  const { log } = await OpLog.open(dir);
  const replica = new Replica();
  const ops = userOps(30);
  for (const op of ops.slice(0, 20)) {
    replica.add(op);
    await log.append(op);
  }
  await log.snapshot(replica.allOps());
  for (const op of ops.slice(20)) {
    replica.add(op);
    await log.append(op);
  }
  await log.close();
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, ['ops.2.log', 'snapshot.json']);
  const { replica: restored, recovered, log: again } = await reopen(dir);
  assert.equal(recovered.snapshot!.ops.length, 20);
  assert.equal(recovered.tail.length, 10);
  assert.equal(stateDigest(restored.state), stateDigest(replica.state));
  await again.close();
});

test('appends made while a snapshot is being written are kept', async (t) => {
  const dir = await tempDir(t);
  const { log } = await OpLog.open(dir);
  const replica = new Replica();
  const ops = userOps(40);
  for (const op of ops.slice(0, 20)) {
    replica.add(op);
    void log.append(op);
  }
  const snap = log.snapshot(replica.allOps());
  // These land while the snapshot is in progress: they must survive the deletion of covered logs.
  const late = ops.slice(20).map((op) => (replica.add(op), log.append(op)));
  await Promise.all([snap, ...late]);
  await log.close();
  const { replica: restored, log: again } = await reopen(dir);
  assert.equal(restored.size, 40);
  assert.equal(stateDigest(restored.state), stateDigest(replica.state));
  await again.close();
});

test('a torn tail is cut off; the next append starts on a clean line', async (t) => {
  const dir = await tempDir(t);
  const { log } = await OpLog.open(dir);
  const ops = userOps(3);
  for (const op of ops) await log.append(op);
  await log.close();
  await appendFile(join(dir, 'ops.1.log'), '{"origin":"T","seq":4,"hl');
  const first = await reopen(dir);
  assert.equal(first.recovered.tail.length, 3);
  assert.ok(first.recovered.tornBytes > 0);
  const [extra] = userOps(4).slice(3);
  await first.log.append(extra!);
  await first.log.close();
  const second = await reopen(dir);
  assert.equal(second.recovered.tail.length, 4);
  assert.equal(second.recovered.tornBytes, 0);
  await second.log.close();
});

test('corruption before the tail refuses to start, naming the place', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(3);
  const lines = ops.map((op) => JSON.stringify(op));
  lines[1] = '{garbage';
  await writeFile(join(dir, 'ops.1.log'), lines.join('\n') + '\n');
  await assert.rejects(OpLog.open(dir), /ops\.1\.log:2: corrupt op log record/);
  // Nothing was truncated by the refusal.
  assert.equal((await readFile(join(dir, 'ops.1.log'), 'utf8')).split('\n').length, 4);
});
