/** The op log on a real disk: append, snapshot, rotate, recover. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpLog } from '../../tracker-server/store/oplog.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { opMaker } from '../helpers/ops.ts';
import type { Op } from '../../protocol/ops.ts';
import { tempDir } from '../helpers/tracker.ts';
import { opsInDataDir } from '../helpers/datadir.ts';

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

test('a torn older log beside an empty newer one (a snapshot started a generation, then a crash or a full disk) is cut with a warning, not refused', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(3);
  await writeFile(join(dir, 'ops.1.log'), ops.map((op) => JSON.stringify(op) + '\n').join('') + '{"origin":"T","seq":4,"hl');
  await writeFile(join(dir, 'ops.2.log'), '');
  const { log, recovered } = await OpLog.open(dir);
  assert.deepEqual(recovered.tail, ops);
  assert.ok(recovered.tornBytes > 0);
  assert.match(recovered.repairs.join('\n'), /ops\.1\.log: cut \d+ torn bytes/);
  const [extra] = userOps(4).slice(3);
  await log.append(extra!);
  await log.close();
  const again = await reopen(dir);
  assert.deepEqual(again.recovered.tail, [...ops, extra]);
  assert.deepEqual(again.recovered.repairs, []);
  await again.log.close();
});

test('a torn older log with a non-empty newer one is still refused: that is not what a crash leaves', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(4);
  await writeFile(join(dir, 'ops.1.log'), JSON.stringify(ops[0]) + '\n{"origin":"T","seq":2,"hl');
  await writeFile(join(dir, 'ops.2.log'), JSON.stringify(ops[2]) + '\n');
  await assert.rejects(OpLog.open(dir), /ops\.1\.log:2: corrupt op log record/);
});

test('an empty snapshot.json beside a complete history of logs is set aside with a warning; a leftover temp snapshot is removed', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(5);
  await writeFile(join(dir, 'ops.1.log'), ops.map((op) => JSON.stringify(op) + '\n').join(''));
  await writeFile(join(dir, 'snapshot.json'), '');
  await writeFile(join(dir, 'snapshot.json.tmp'), '{"format":3,"logGen');
  const { log, recovered } = await OpLog.open(dir);
  assert.equal(recovered.snapshot, undefined);
  assert.deepEqual(recovered.tail, ops);
  assert.match(recovered.repairs.join('\n'), /snapshot\.json was empty/);
  await log.close();
  assert.deepEqual((await readdir(dir)).sort(), ['ops.1.log']);
});

test('an empty snapshot.json whose logs are gone is refused, saying why: ops would be missing', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ops.3.log'), JSON.stringify(userOps(1)[0]) + '\n');
  await writeFile(join(dir, 'snapshot.json'), '');
  await assert.rejects(OpLog.open(dir), /snapshot\.json is empty and the logs it replaced are gone/);
});

test('a snapshot in the old format (2: one JSON object) is still read', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(8);
  await writeFile(join(dir, 'snapshot.json'), JSON.stringify({ format: 2, logGeneration: 2, ops: ops.slice(0, 6) }));
  await writeFile(join(dir, 'ops.2.log'), ops.slice(6).map((op) => JSON.stringify(op) + '\n').join(''));
  const { log, recovered } = await OpLog.open(dir);
  assert.deepEqual(recovered.snapshot!.ops, ops.slice(0, 6));
  assert.deepEqual(recovered.tail, ops.slice(6));
  // The next snapshot is written in the new format and read back the same.
  await log.snapshot(ops);
  await log.close();
  assert.match(await readFile(join(dir, 'snapshot.json'), 'utf8'), /^\{"format":3,"logGeneration":3,"ops":8\}\n/);
  const again = await reopen(dir);
  assert.deepEqual(again.recovered.snapshot!.ops, ops);
  await again.log.close();
  // The test helper that reads a data dir without OpLog reads the new format too.
  assert.deepEqual(await opsInDataDir(dir), ops);
});

test('a snapshot cut short (fewer ops than its header says) is refused', async (t) => {
  const dir = await tempDir(t);
  const ops = userOps(3);
  await writeFile(join(dir, 'snapshot.json'), [JSON.stringify({ format: 3, logGeneration: 2, ops: 3 }), ...ops.slice(0, 2).map((op) => JSON.stringify(op))].join('\n') + '\n');
  await assert.rejects(OpLog.open(dir), /snapshot holds 2 ops, its header says 3/);
});

test('tens of MB of log and snapshot with lines over 1 MiB replay line by line', async (t) => {
  const dir = await tempDir(t);
  const make = opMaker('T');
  // 24 ops of 1.5 MB (longer than the reader's 1 MiB chunk) among 20,000 small ones: ~45 MB each file.
  const ops: Op[] = [];
  for (let i = 0; i < 20_024; i++) {
    const big = i % 834 === 0;
    ops.push(make(i + 1, { kind: 'user_created', userId: `u${i}`, salt: big ? 'é'.repeat(750_000) : 's', hash: 'h' }));
  }
  const { log } = await OpLog.open(dir);
  await Promise.all(ops.slice(0, 10_012).map((op) => log.append(op)));
  await log.snapshot(ops.slice(0, 10_012));
  await Promise.all(ops.slice(10_012).map((op) => log.append(op)));
  await log.close();
  const { recovered, log: again } = await OpLog.open(dir);
  assert.equal(recovered.snapshot!.ops.length, 10_012);
  assert.equal(recovered.tail.length, ops.length - 10_012);
  const all = [...recovered.snapshot!.ops, ...recovered.tail];
  for (const i of [0, 834, 10_008, 10_842, 20_016, 20_023]) assert.deepEqual(all[i], ops[i]);
  await again.close();
});
