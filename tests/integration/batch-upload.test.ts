/**
 * A batch entry (protocol/batch.ts) at a real tracker: a hostile file list is
 * refused with its reason, nothing is shared and the connection lives on; a
 * good one is one entry whose list_files row and file_shared event say how
 * many files it holds, and whose get_file hands the list back as shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { fileIdOf } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { rawUser } from '../helpers/raw-user.ts';

const hash = (i: number) => i.toString(16).padStart(40, '0');

test('a tracker refuses a hostile batch list with its reason and keeps the batch it accepts as one entry', async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await rawUser(t, tracker.wsUrl, 'alice');
  const bob = await rawUser(t, tracker.wsUrl, 'bob');
  await alice.ok('create_group', { groupId: 'g' });
  await bob.ok('join_group', { groupId: 'g' });
  await alice.ok('accept_request', { groupId: 'g', userId: 'bob' });

  const size = PIECE_SIZE + 10;
  const base = { groupId: 'g', name: 'holiday', size, pieceSize: PIECE_SIZE, pieceHashes: [hash(1), hash(2)] };
  const hostile: [FileMeta['files'], RegExp][] = [
    [[{ path: '../../etc/cron.d/x', size }], /meta\.files: .*"\.\." segment/],
    [[{ path: '/etc/passwd', size }], /absolute/],
    [[{ path: 'a/b', size: 10 }, { path: 'a', size: PIECE_SIZE }], /"a" is both a file and a folder/],
    [[{ path: 'a', size: 1 }], /add up to 1 bytes, not the/],
  ];
  for (const [files, reason] of hostile) {
    const meta = { ...base, files } as FileMeta;
    const reply = await alice.ask('upload_file', { fileId: fileIdOf(meta), meta });
    assert.equal(reply.ok, false);
    const error = reply.error as { code: string; message: string };
    assert.equal(error.code, 'invalid_message');
    assert.match(error.message, reason);
  }
  assert.deepEqual((await alice.ok('list_files', { groupId: 'g' })).files, [], 'nothing was shared');

  const files = [
    { path: 'holiday/a.jpg', size: PIECE_SIZE - 5 },
    { path: 'holiday/day 2/b.jpg', size: 15 },
  ];
  const meta: FileMeta = { ...base, files };
  const fileId = fileIdOf(meta);
  await alice.ok('upload_file', { fileId, meta });
  const [row] = (await bob.ok('list_files', { groupId: 'g' })).files as { fileId: string; name: string; size: number; fileCount?: number }[];
  assert.deepEqual({ fileId: row!.fileId, name: row!.name, size: row!.size, fileCount: row!.fileCount }, { fileId, name: 'holiday', size, fileCount: 2 });
  await eventually(() => {
    const shared = bob.events.filter((e) => e.event === 'file_shared');
    assert.equal(shared.length, 1, 'one event for the batch');
    assert.equal((shared[0]!.file as { fileCount?: number }).fileCount, 2);
  });
  const got = (await bob.ok('get_file', { fileId })).file as { meta: FileMeta };
  assert.deepEqual(got.meta.files, files);
  assert.equal(fileIdOf(got.meta), fileId);
});
