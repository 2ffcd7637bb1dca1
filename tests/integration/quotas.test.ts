/**
 * Quotas (issue 8 item 3): one member cannot grow the replicated state
 * without bound. Refusals say `quota_exceeded` and change nothing; the
 * tracker keeps serving, /metrics answers, and a restart loads everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MAX_FILE_BYTES, MAX_PIECES, PIECE_SIZE } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { fileIdOf } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { DEFAULT_QUOTAS } from '../../tracker-server/quotas.ts';
import { stateDigest } from '../../tracker-server/state/digest.ts';
import { randomFile } from '../helpers/files.ts';
import { startTestTracker, tempDir, userClient } from '../helpers/tracker.ts';

/** A maximum-size file record (16,384 piece hashes, ~700 KB of JSON), distinct per `n`. */
function maxFile(groupId: string, n: number): { fileId: string; meta: FileMeta } {
  const pieceHashes = Array.from({ length: MAX_PIECES }, (_, i) => createHash('sha1').update(`${n}:${i}`).digest('hex'));
  const meta: FileMeta = { groupId, name: `big-${n}.bin`, size: MAX_FILE_BYTES, pieceSize: PIECE_SIZE, pieceHashes };
  return { fileId: fileIdOf(meta), meta };
}

const code = (err: unknown) => (err as { code?: string }).code;

test('one member uploading maximum-size records is refused with quota_exceeded; the tracker serves on and restarts with everything', async (t) => {
  const dataDir = await tempDir(t);
  let tracker = await startTestTracker(t, { dataDir });
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  await ann.request('create_group', { groupId: 'big' });
  const allowed = DEFAULT_QUOTAS.hashesPerUser / MAX_PIECES;
  let accepted = 0;
  let refusal: unknown;
  // Far more than any quota allows: today's code never refuses.
  for (let n = 0; n < allowed + 4 && refusal === undefined; n++) {
    await ann.request('upload_file', maxFile('big', n)).then(
      () => accepted++,
      (err) => (refusal = err),
    );
  }
  assert.ok(refusal, `refused after ${accepted} maximum-size files`);
  assert.equal(code(refusal), ErrorCode.QuotaExceeded);
  assert.match((refusal as Error).message, /hashes-per-user = 131072/, 'the message names the quota and its limit');
  assert.equal(accepted, allowed, 'every file within the quota was accepted');
  const ops = tracker.core.replica.size;
  await assert.rejects(ann.request('upload_file', randomFile('big')), (err) => code(err) === ErrorCode.QuotaExceeded, 'even a small one');
  assert.equal(tracker.core.replica.size, ops, 'a refusal changes nothing');

  // The tracker keeps serving: another member shares, /metrics answers.
  const bo = await userClient(t, tracker.wsUrl, 'bo');
  await bo.request('create_group', { groupId: 'small' });
  await bo.request('upload_file', randomFile('small'));
  const metrics = await fetch(`${tracker.httpUrl}/metrics`);
  assert.equal(metrics.status, 200);
  const { digest } = (await metrics.json()) as { digest: string };
  assert.equal(digest, stateDigest(tracker.core.state));

  // A restart loads everything.
  const files = tracker.core.state.files.size;
  await ann.close();
  await bo.close();
  await tracker.close();
  tracker = await startTestTracker(t, { dataDir });
  assert.equal(tracker.core.state.files.size, files);
  assert.equal(stateDigest(tracker.core.state), digest);
  const again = await userClient(t, tracker.wsUrl, 'ann');
  assert.equal((await again.request('list_files', { groupId: 'big' })).files.length, allowed);
});

test('sharing and stopping in a loop (the log keeps both) is stopped by hashes-per-user-per-day', async (t) => {
  const tracker = await startTestTracker(t, { quotas: { ...DEFAULT_QUOTAS, hashesPerUserPerDay: 3 * MAX_PIECES } });
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  await ann.request('create_group', { groupId: 'churn' });
  let rounds = 0;
  let refusal: unknown;
  for (let n = 0; n < 10 && refusal === undefined; n++) {
    const file = maxFile('churn', n);
    try {
      await ann.request('upload_file', file);
    } catch (err) {
      refusal = err;
      break;
    }
    await ann.request('stop_share', { fileId: file.fileId });
    rounds++;
  }
  assert.equal(rounds, 3, 'three maximum-size files a day, however often stopped');
  assert.equal(code(refusal), ErrorCode.QuotaExceeded);
  assert.match((refusal as Error).message, /quota hashes-per-user-per-day = 49152\); try again in \d+ min/);
  assert.equal(tracker.core.state.files.size, 0, 'the state stayed small all along; the log is what the budget bounds');
});

test('files, groups, invites and join requests each stop at their quota, set by the operator', async (t) => {
  const quotas = { ...DEFAULT_QUOTAS, filesPerUser: 2, filesPerGroup: 3, groupsPerUser: 2, invitesPerGroup: 2, requestsPerGroup: 1 };
  const tracker = await startTestTracker(t, { quotas });
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  const bo = await userClient(t, tracker.wsUrl, 'bo');
  const cy = await userClient(t, tracker.wsUrl, 'cy');
  const refused = (p: Promise<unknown>, quota: string) =>
    assert.rejects(p, (err: Error) => code(err) === ErrorCode.QuotaExceeded && err.message.includes(`quota ${quota} =`));

  await ann.request('create_group', { groupId: 'g1' });
  await ann.request('create_group', { groupId: 'g2' });
  await refused(ann.request('create_group', { groupId: 'g3' }), 'groups-per-user');

  await ann.request('create_invite', { groupId: 'g1' });
  await ann.request('create_invite', { groupId: 'g1' });
  await refused(ann.request('create_invite', { groupId: 'g1' }), 'invites-per-group');
  await ann.request('create_invite', { groupId: 'g2' }); // per group

  await bo.request('join_group', { groupId: 'g1' });
  await refused(cy.request('join_group', { groupId: 'g1' }), 'requests-per-group');
  await ann.request('accept_request', { groupId: 'g1', userId: 'bo' });
  await cy.request('join_group', { groupId: 'g1' }); // a decision frees the slot
  await ann.request('accept_request', { groupId: 'g1', userId: 'cy' });

  await ann.request('upload_file', randomFile('g1', 'a'));
  await ann.request('upload_file', randomFile('g1', 'b'));
  await refused(ann.request('upload_file', randomFile('g2', 'c')), 'files-per-user');
  await bo.request('upload_file', randomFile('g1', 'd'));
  await refused(bo.request('upload_file', randomFile('g1', 'e')), 'files-per-group');
  // Stopping a share frees its slot.
  const { files } = await ann.request('list_files', { groupId: 'g1' });
  await ann.request('stop_share', { fileId: files[0]!.fileId });
  await ann.request('upload_file', randomFile('g2', 'f'));
});
