/**
 * The op log on a real full disk (a small tmpfs): a failed or short write
 * leaves the log exactly as it was, fails every append not yet durable, and
 * the log works again once space returns; a snapshot that cannot be written
 * leaves the old one and every log in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Op } from '../../protocol/ops.ts';
import { OpLog } from '../../tracker-server/store/oplog.ts';
import { opMaker } from '../helpers/ops.ts';
import { smallDisk } from '../helpers/tmpfs.ts';

const make = opMaker('T');
/** Ops of about `bytes` each on disk, so a few fill a page. */
const bigOps = (n: number, bytes = 1500) =>
  Array.from({ length: n }, (_, i) => make(i + 1, { kind: 'user_created', userId: `u${i}`, salt: 's'.repeat(bytes), hash: 'h' }));

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) if (name !== 'filler') out[name] = await readFile(join(dir, name), 'latin1');
  return out;
}

test('a write that fails part-way on a full disk leaves the log byte-identical, drops every pending append, and works once space returns', async (t) => {
  const disk = await smallDisk(t);
  const dir = join(disk.root, 'data');
  const { log } = await OpLog.open(dir);
  const ops = bigOps(40);
  for (const op of ops.slice(0, 5)) await log.append(op);
  const before = await filesOf(dir);

  // Room for about two ops: the batch of ten is written part-way, then the disk is full.
  await disk.fill(3000);
  const dropped: Op[][] = [];
  log.onDropped = (lost) => dropped.push(lost);
  const batch = ops.slice(5, 15).map((op) => log.append(op));
  const results = await Promise.allSettled(batch);
  assert.deepEqual(results.map((r) => r.status), Array(10).fill('rejected'), 'no append of a failed batch is acknowledged');
  assert.deepEqual(dropped.flat().map((op) => op.seq), ops.slice(5, 15).map((op) => op.seq), 'onDropped names every dropped op, in order');
  assert.ok(log.failing);
  assert.deepEqual(await filesOf(dir), before, 'the log is exactly as before the failed write');

  // Still full: the next try fails the same way and leaves nothing.
  await assert.rejects(log.append(ops[5]!));
  assert.deepEqual(await filesOf(dir), before);

  await disk.free();
  for (const op of ops.slice(5, 10)) await log.append(op);
  assert.ok(!log.failing);
  await log.close();
  const { log: again, recovered } = await OpLog.open(dir);
  assert.equal(recovered.tornBytes, 0, 'no partial line was glued into the log');
  assert.deepEqual(recovered.tail, ops.slice(0, 10));
  await again.close();
});

test('a snapshot that cannot be written on a full disk leaves the old snapshot and every log intact', async (t) => {
  const disk = await smallDisk(t);
  const dir = join(disk.root, 'data');
  const { log } = await OpLog.open(dir);
  const ops = bigOps(60, 400);
  for (const op of ops.slice(0, 10)) await log.append(op);
  await log.snapshot(ops.slice(0, 10));
  for (const op of ops.slice(10, 20)) await log.append(op);
  const before = await filesOf(dir);

  await disk.fill(2000);
  // The snapshot of all 20 ops does not fit in what is left.
  await assert.rejects(log.snapshot(ops.slice(0, 20)));
  const after = await filesOf(dir);
  assert.equal(after['snapshot.json'], before['snapshot.json'], 'the old snapshot is untouched');
  assert.equal(after['ops.2.log'], before['ops.2.log'], 'the log the failed snapshot would have covered is kept');
  assert.ok(!('snapshot.json.tmp' in after), 'the half-written snapshot is removed, giving its space back');

  await disk.free();
  await log.close();
  const { log: again, recovered } = await OpLog.open(dir);
  assert.deepEqual([...(recovered.snapshot?.ops ?? []), ...recovered.tail], ops.slice(0, 20));
  await again.close();
});
