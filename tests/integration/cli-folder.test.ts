/**
 * The command line shares a folder and downloads one file of a batch
 * (issue 13 item 7): `upload_file <folder>` shares the tree as one batch
 * entry (the batch rules of protocol/batch.ts; links left out and named)
 * and a seed serves it; `download_file <group> <batch> <dest> <path>`
 * fetches only the pieces covering that file (counted with
 * MESHDROP_TRACE=pieces) and writes it byte-exact; the whole batch then
 * fetches only the rest and writes the tree. Bad input says what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchRanges, piecesOfRange } from '../../protocol/batch.ts';
import { MAX_BATCH_FILES, PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker, tempDir } from '../helpers/tracker.ts';
import { ok, signedIn } from '../helpers/cli.ts';
import { aliceAndBobInFamily } from '../helpers/cli-stories.ts';
import { bytesOf } from '../helpers/files.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

// In the order the folder is read (names sorted, folder by folder): pieces straddle every boundary.
const tree = [
  { path: 'holiday/a.bin', bytes: bytesOf(1, PIECE_SIZE + 70_000) },
  { path: 'holiday/day 2/b.bin', bytes: bytesOf(2, 2 * PIECE_SIZE + 5) },
  { path: 'holiday/day 2/empty', bytes: new Uint8Array(0) },
  { path: 'holiday/z.bin', bytes: bytesOf(3, PIECE_SIZE / 2) },
];

const storedPieces = (stderr: string) => [...stderr.matchAll(/stored piece (\d+) of/g)].map((m) => Number(m[1])).sort((x, y) => x - y);

test('upload_file <folder> shares the tree as one batch; download_file of one path fetches only its pieces, then the whole batch the rest', { timeout: 150_000 }, async (t) => {
  const { alice, bob } = await aliceAndBobInFamily(t);

  const src = await tempDir(t, 'meshdrop-folder-');
  for (const f of tree) {
    await mkdir(join(src, f.path, '..'), { recursive: true });
    await writeFile(join(src, f.path), f.bytes);
  }
  await symlink('/etc/passwd', join(src, 'holiday/day 2/passwd'));
  const total = tree.reduce((n, f) => n + f.bytes.length, 0);

  const shared = await ok(alice, ['upload_file', join(src, 'holiday'), 'family']);
  assert.match(shared, /^Shared holiday in family \(4 files, .*\)\. Left out: holiday\/day 2\/passwd \(a link\)\.$/m);
  const listed = await ok(bob, ['list_files', 'family']);
  assert.match(listed, /^holiday {2}4 files {2}/m, 'one entry with its file count');

  const seed = alice.start(['seed']);
  await seed.waitFor(/holding 1 file: 1 complete, serving/);

  // One file alone: only the pieces covering it.
  const out = join(bob.home, 'out');
  await mkdir(out);
  const ranges = batchRanges(tree.map((f) => ({ path: f.path, size: f.bytes.length })));
  const cover = piecesOfRange(ranges[1]!.start, ranges[1]!.end, PIECE_SIZE)!;
  const one = await bob.run(['download_file', 'family', 'holiday', out, 'holiday/day 2/b.bin'], { env: { MESHDROP_TRACE: 'pieces' } });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /Downloaded holiday\/day 2\/b\.bin of holiday \(.*\) to .*\/out\/b\.bin\./);
  const expected = Array.from({ length: cover.last - cover.first + 1 }, (_, i) => cover.first + i);
  assert.deepEqual(storedPieces(one.stderr), expected, 'only the pieces covering b.bin');
  assert.equal(sha1(await readFile(join(out, 'b.bin'))), sha1(tree[1]!.bytes), 'byte-exact');
  assert.match(await ok(bob, ['show_downloads']), /^\[P\] \[family\] holiday {2}1 of its 4 files here$/m);

  // The whole batch: the rest of the pieces, none fetched twice, then the tree.
  const whole = join(bob.home, 'whole');
  await mkdir(whole);
  const all = await bob.run(['download_file', 'family', 'holiday', whole], { env: { MESHDROP_TRACE: 'pieces' } });
  assert.equal(all.code, 0, all.stderr);
  const pieceCount = Math.ceil(total / PIECE_SIZE);
  const rest = Array.from({ length: pieceCount }, (_, i) => i).filter((i) => !expected.includes(i));
  assert.deepEqual(storedPieces(all.stderr), rest, 'only what was not here yet');
  for (const f of tree) assert.equal(sha1(await readFile(join(whole, f.path))), sha1(f.bytes), f.path);
  assert.match(await ok(bob, ['show_downloads']), /^\[C\] \[family\] holiday$/m);
  seed.child.kill('SIGTERM');
  assert.equal(await seed.exited, 0);
});

test('a folder the batch rules refuse, a path a batch lacks, and a path of a single file each say what is wrong and change nothing', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  const src = await tempDir(t, 'meshdrop-folder-');

  await mkdir(join(src, 'none'));
  const empty = await alice.run(['upload_file', join(src, 'none'), 'family']);
  assert.notEqual(empty.code, 0);
  assert.match(empty.stderr + empty.stdout, /none cannot be shared: none holds no files to share/);

  await mkdir(join(src, 'clash'));
  await writeFile(join(src, 'clash', 'Report.txt'), 'a');
  await writeFile(join(src, 'clash', 'report.txt'), 'b');
  const clash = await alice.run(['upload_file', join(src, 'clash'), 'family']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr + clash.stdout, /"clash\/report\.txt" is listed twice/);

  await mkdir(join(src, 'many'));
  for (let i = 0; i <= MAX_BATCH_FILES; i++) await writeFile(join(src, 'many', `f${i}`), '');
  const many = await alice.run(['upload_file', join(src, 'many'), 'family']);
  assert.notEqual(many.code, 0);
  assert.match(many.stderr + many.stdout, new RegExp(`more than ${MAX_BATCH_FILES} files`));
  assert.doesNotMatch(await ok(alice, ['list_files', 'family']), /none|clash|many/, 'nothing was shared');

  await mkdir(join(src, 'pair'));
  await writeFile(join(src, 'pair', 'x'), 'x');
  await writeFile(join(src, 'pair', 'y'), 'y');
  await writeFile(join(src, 'single.txt'), 'one');
  await ok(alice, ['upload_file', join(src, 'pair'), 'family']);
  await ok(alice, ['upload_file', join(src, 'single.txt'), 'family']);
  const lacks = await alice.run(['download_file', 'family', 'pair', src, 'pair/nope']);
  assert.notEqual(lacks.code, 0);
  assert.match(lacks.stderr + lacks.stdout, /pair has no file "pair\/nope"\. .*"pair\/x"/);
  const single = await alice.run(['download_file', 'family', 'single.txt', src, 'x']);
  assert.notEqual(single.code, 0);
  assert.match(single.stderr + single.stdout, /single\.txt is a single file, not a batch/);
});

test('sharing the home folder leaves out meshdrop\'s own sign-in and data, and says so', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  await writeFile(join(alice.home, 'notes.txt'), 'mine to share');
  // The session (with its token) is in the home folder's .config/meshdrop.
  const out = JSON.parse(await ok(alice, ['upload_file', alice.home, 'family', '--json'])) as { lines: string[]; data: { files: number; skipped: string[] } };
  assert.equal(out.data.files, 1, 'notes.txt alone');
  assert.ok(out.data.skipped.some((s) => s.endsWith(".config/meshdrop (meshdrop's own sign-in and data)")), JSON.stringify(out));
  assert.match(out.lines.join('\n'), /\(1 file, 13 B\)\. Left out: .*\.config\/meshdrop \(meshdrop's own sign-in and data\)/);
  assert.match(await ok(alice, ['list_files', 'family']), /  1 file  13 B  shared by alice/);
});
