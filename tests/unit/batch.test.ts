/**
 * Batches (protocol/batch.ts): the path rules a hostile file list meets at
 * the edge (through the FileMeta schema, as upload_file parses it), and the
 * pure mapping from a file of a batch to its bytes and pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchListProblem, batchPathProblem, batchRanges, fileSlices, piecesOfRange } from '../../protocol/batch.ts';
import { MAX_BATCH_FILES, MAX_BATCH_PATH_LENGTH, PIECE_SIZE } from '../../protocol/constants.ts';
import { canonicalFileMeta, fileIdOf } from '../../protocol/files.ts';
import { parseRequest, type FileMeta } from '../../protocol/tracker.ts';

test('batch paths: relative paths inside the folder pass', () => {
  for (const ok of ['a.txt', 'photos/2026/IMG_0001.jpg', 'a b/c d.txt', 'ünïcødé/日本.txt', '.hidden', 'a/.config', '...', 'x..y']) {
    assert.equal(batchPathProblem(ok), undefined, ok);
  }
});

test('batch paths: anything that could climb out, or that no system can write, is refused with its reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['../x', /"\.\." segment/],
    ['a/../../x', /"\.\." segment/],
    ['a/./b', /"\." segment/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a\\..\\b', /backslash/],
    ['a\u0000b', /control character/],
    ['C:/Windows/x', /drive letter/],
    ['C:x', /drive letter/],
    ['a/' + 'n'.repeat(256), /segment longer than 255/],
    ['a/'.repeat(MAX_BATCH_PATH_LENGTH / 2) + 'b', new RegExp(`longer than ${MAX_BATCH_PATH_LENGTH}`)],
  ];
  for (const [path, reason] of cases) assert.match(batchPathProblem(path) ?? 'passed', reason, JSON.stringify(path));
});

test('batch lists: count, duplicates, file-and-folder clashes and the size sum are checked', () => {
  assert.equal(batchListProblem([{ path: 'a', size: 1 }, { path: 'b/c', size: 2 }], 3), undefined);
  assert.match(batchListProblem([], 0)!, /no files/);
  assert.match(batchListProblem([{ path: 'a', size: 1 }, { path: 'b', size: 1 }], 3)!, /add up to 2 bytes, not the 3/);
  assert.match(batchListProblem([{ path: 'a', size: 1 }, { path: 'A', size: 1 }], 2)!, /listed twice/);
  assert.match(batchListProblem([{ path: 'a', size: 1 }, { path: 'a/b', size: 1 }], 2)!, /both a file and a folder/);
  assert.match(batchListProblem([{ path: 'x/y/z', size: 1 }, { path: 'x/y', size: 1 }], 2)!, /"x\/y" is both a file and a folder/);
  assert.match(batchListProblem([{ path: 'a', size: 1.5 }], 1.5)!, /whole number/);
  const many = Array.from({ length: MAX_BATCH_FILES + 1 }, (_, i) => ({ path: `f${i}`, size: 0 }));
  assert.match(batchListProblem(many, 0)!, /more than 1000/);
});

const hash = 'a'.repeat(40);
const meta = (files: unknown, size = 3): unknown => ({ groupId: 'g', name: 'batch', size, pieceSize: PIECE_SIZE, pieceHashes: [hash], files });
const upload = (m: unknown) => parseRequest(JSON.stringify({ id: 'r1', type: 'upload_file', fileId: hash, meta: m }));

test('upload_file with a hostile file list is refused at the edge, naming the problem', () => {
  const refused: [unknown, RegExp][] = [
    [[{ path: '../../.ssh/authorized_keys', size: 3 }], /meta\.files: .*"\.\." segment/],
    [[{ path: '/tmp/x', size: 3 }], /meta\.files: .*absolute/],
    [[{ path: 'a', size: 1 }], /meta\.files: .*add up to 1 bytes, not the 3/],
    [[{ path: 'a', size: 3, mode: 0o777 }], /meta\.files/],
    [[{ path: 'x'.repeat(MAX_BATCH_PATH_LENGTH + 1), size: 3 }], /meta\.files/],
    [[{ path: 'a', size: -3 }], /meta\.files/],
    ['a', /meta\.files/],
  ];
  for (const [files, reason] of refused) {
    const parsed = upload(meta(files));
    assert.equal(parsed.ok, false, JSON.stringify(files));
    if (!parsed.ok) {
      assert.equal(parsed.error.code, 'invalid_message');
      assert.equal(parsed.id, 'r1');
      assert.match(parsed.error.message, reason, JSON.stringify(files));
    }
  }
  assert.equal(upload(meta([{ path: 'docs/a.txt', size: 1 }, { path: 'b.txt', size: 2 }])).ok, true);
  assert.equal(upload(meta(undefined)).ok, true, 'a single file has no list, as before');
});

test("a single file's id is what it always was; a batch's id covers its list", () => {
  const single: FileMeta = { groupId: 'g', name: 'a.txt', size: 3, pieceSize: PIECE_SIZE, pieceHashes: [hash] };
  assert.equal(canonicalFileMeta(single), JSON.stringify(['g', 'a.txt', 3, PIECE_SIZE, [hash]]));
  const batch: FileMeta = { ...single, files: [{ path: 'x', size: 1 }, { path: 'y', size: 2 }] };
  const renamed: FileMeta = { ...single, files: [{ path: 'x', size: 1 }, { path: 'z', size: 2 }] };
  const resized: FileMeta = { ...single, files: [{ path: 'x', size: 2 }, { path: 'y', size: 1 }] };
  const ids = new Set([fileIdOf(single), fileIdOf(batch), fileIdOf(renamed), fileIdOf(resized)]);
  assert.equal(ids.size, 4);
});

test('file ranges map to the pieces covering them, across piece boundaries', () => {
  const P = 10;
  const files = [
    { path: 'a', size: 4 }, // bytes 0..4: piece 0
    { path: 'empty', size: 0 }, // no bytes, no piece
    { path: 'b', size: 13 }, // bytes 4..17: pieces 0 and 1
    { path: 'c', size: 13 }, // bytes 17..30: pieces 1 and 2, ending on a boundary
    { path: 'd', size: 25 }, // bytes 30..55: pieces 3, 4, 5
  ];
  assert.deepEqual(
    batchRanges(files).map((r) => [r.start, r.end]),
    [[0, 4], [4, 4], [4, 17], [17, 30], [30, 55]],
  );
  assert.deepEqual(piecesOfRange(0, 4, P), { first: 0, last: 0 });
  assert.equal(piecesOfRange(4, 4, P), undefined);
  assert.deepEqual(piecesOfRange(17, 30, P), { first: 1, last: 2 });
  assert.deepEqual(piecesOfRange(30, 55, P), { first: 3, last: 5 });
  assert.deepEqual(fileSlices(files, 0, P), [{ piece: 0, from: 0, to: 4 }]);
  assert.deepEqual(fileSlices(files, 1, P), []);
  assert.deepEqual(fileSlices(files, 2, P), [{ piece: 0, from: 4, to: 10 }, { piece: 1, from: 0, to: 7 }]);
  assert.deepEqual(fileSlices(files, 3, P), [{ piece: 1, from: 7, to: 10 }, { piece: 2, from: 0, to: 10 }]);
  assert.deepEqual(fileSlices(files, 4, P), [{ piece: 3, from: 0, to: 10 }, { piece: 4, from: 0, to: 10 }, { piece: 5, from: 0, to: 5 }]);
  assert.throws(() => fileSlices(files, 5, P), RangeError);

  // Reassembled from the slices, each file is exactly its bytes of the whole.
  const whole = Uint8Array.from({ length: 55 }, (_, i) => i);
  const pieces = Array.from({ length: 6 }, (_, p) => whole.subarray(p * P, Math.min(55, (p + 1) * P)));
  for (const [i, r] of batchRanges(files).entries()) {
    const bytes = fileSlices(files, i, P).flatMap((s) => [...pieces[s.piece]!.subarray(s.from, s.to)]);
    assert.deepEqual(bytes, [...whole.subarray(r.start, r.end)], r.path);
  }
});

test('what a drop or pick becomes: one file as itself; several, or a folder, one batch in path order, named', async () => {
  const { planShare } = await import('../../web/src/ui/batch-input.ts');
  const file = (name: string, size: number) => new File([new Uint8Array(size)], name);
  assert.deepEqual(planShare([]), undefined);
  const one = file('a.txt', 3);
  assert.deepEqual(planShare([{ file: one, path: 'a.txt' }]), { kind: 'single', file: one });
  const picked = [
    { file: file('b', 2), path: 'holiday/day 2/b' },
    { file: file('a', 1), path: 'holiday/a' },
  ];
  const folder = planShare(picked);
  assert.equal(folder?.kind, 'batch');
  if (folder?.kind === 'batch') {
    assert.equal(folder.name, 'holiday', 'a folder is named after itself');
    assert.deepEqual(folder.files.map((f) => f.path), ['holiday/a', 'holiday/day 2/b'], 'in path order: the same folder, the same entry');
  }
  const loose = planShare([{ file: file('x', 1), path: 'x' }, { file: file('y', 1), path: 'y' }]);
  assert.equal(loose?.kind === 'batch' && loose.name, '2 files');
  const named = planShare([{ file: file('x', 1), path: 'x' }, { file: file('y', 1), path: 'y' }], '  notes ');
  assert.equal(named?.kind === 'batch' && named.name, 'notes');
  const clash = planShare([{ file: file('x', 1), path: 'x' }, { file: file('X', 1), path: 'X' }]);
  assert.equal(clash?.kind, 'refused');
  assert.match(clash?.kind === 'refused' ? clash.reason : '', /listed twice/);
});
