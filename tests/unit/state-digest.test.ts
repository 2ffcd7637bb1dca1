/**
 * The state digest works for any state size (it never builds one string of the
 * whole state) and is computed at most once per state version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MAX_PIECES, PIECE_SIZE } from '../../protocol/constants.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import { applyOp } from '../../tracker-server/state/apply.ts';
import { DigestCache, stateDigest } from '../../tracker-server/state/digest.ts';
import { emptyState, type State } from '../../tracker-server/state/model.ts';
import { Replica } from '../../tracker-server/state/replica.ts';
import { actor, opMaker } from '../helpers/ops.ts';

/** V8's longest string (2^29 - 24 one-byte characters): what `JSON.stringify` of the whole state hit. */
const V8_MAX_STRING_LENGTH = 2 ** 29 - 24;

const hex40 = (i: number) => createHash('sha1').update(String(i)).digest('hex');

/** A user, a group, and `files` maximum-size file records shared into it (one hash array shared by all, to spare memory). */
function bigState(files: number, order: 'forward' | 'reverse' = 'forward'): { state: State; metas: FileMeta[] } {
  const op = opMaker('ta');
  const state = emptyState();
  const user = op(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' });
  applyOp(state, user);
  const ann = actor('ann', 'ta:1');
  const group = op(2, { kind: 'group_created', groupId: 'big', ...ann });
  applyOp(state, group);
  const pieceHashes = Array.from({ length: MAX_PIECES }, (_, i) => hex40(i));
  const metas: FileMeta[] = [];
  for (let i = 0; i < files; i++) {
    metas.push({ groupId: 'big', name: `file-${String(i).padStart(4, '0')}.bin`, size: MAX_PIECES * PIECE_SIZE, pieceSize: PIECE_SIZE, pieceHashes });
  }
  const shares = metas.map((meta, i) => op(10 + i, { kind: 'file_shared', groupKey: 'ta:2', fileId: hex40(1e6 + i), meta, ...ann }));
  for (const share of order === 'forward' ? shares : [...shares].reverse()) assert.equal(applyOp(state, share), true);
  return { state, metas };
}

test('the digest of a state far larger than the longest string V8 allows', { timeout: 120_000 }, () => {
  const files = 800;
  const { state, metas } = bigState(files);
  // What the old code concatenated: the records' metadata alone exceed V8's string limit.
  const oneMeta = JSON.stringify(metas[0]).length;
  assert.ok(oneMeta * files > V8_MAX_STRING_LENGTH, `${oneMeta} × ${files} characters exceed ${V8_MAX_STRING_LENGTH}`);
  const digest = stateDigest(state);
  assert.match(digest, /^[0-9a-f]{64}$/);
  // Deterministic, and independent of the order records entered the maps.
  assert.equal(stateDigest(bigState(files, 'reverse').state), digest);
  // One hash of one record changed: another digest.
  const record = [...state.files.values()][files - 1]!;
  record.meta = { ...record.meta, pieceHashes: [...record.meta.pieceHashes.slice(0, -1), hex40(-1)] };
  assert.notEqual(stateDigest(state), digest);
});

test('a digest per state version: asked twice, hashed once; any change is seen', () => {
  const replica = new Replica();
  const op = opMaker('ta');
  const cache = new DigestCache();
  const empty = cache.digest(replica);
  assert.equal(cache.digest(replica), empty);
  assert.equal(cache.computations, 1, 'the second question is answered from the cache');
  replica.add(op(1, { kind: 'user_created', userId: 'ann', salt: 's', hash: 'h' }));
  const one = cache.digest(replica);
  assert.notEqual(one, empty);
  assert.equal(one, stateDigest(replica.state));
  assert.equal(cache.computations, 2);
  // An op that changes nothing still makes a new version (cheap to recompute), and the same digest.
  replica.add(op(2, { kind: 'user_created', userId: 'ann', salt: 't', hash: 'i' }));
  assert.equal(cache.digest(replica), one);
  assert.equal(cache.computations, 3);
  // An op sorting before the others refolds into a new state object: seen too.
  const early = opMaker('tb');
  replica.add(early(0.5, { kind: 'user_created', userId: 'bo', salt: 's', hash: 'h' }));
  const refolded = cache.digest(replica);
  assert.notEqual(refolded, one);
  assert.equal(refolded, stateDigest(replica.state));
  assert.equal(cache.digest(replica), refolded);
  assert.equal(cache.computations, 4);
});
