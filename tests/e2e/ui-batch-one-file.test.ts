/**
 * One file of a batch (issue 13 item 7), through the app in real Chromium
 * against a real tracker. Alice drops three files as one batch, each over a
 * piece boundary. Bob opens its list and downloads only the middle file:
 * only the pieces covering it are fetched (counted in his browser's store, and on
 * the piece map), its SHA-1 matches, the batch row says one of its three
 * files is here and the others can still be asked for. Then "Download all"
 * fetches the rest, keeping what he has, and the last file saves byte-exact.
 * Before, a batch's files had no Download of their own: the whole batch
 * was fetched, and a file could be saved only once every piece was here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { batchRanges, piecesOfRange } from '../../protocol/batch.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { dropFiles, saveDownload, sha1 } from '../helpers/ui.ts';
import { bobJoinsAlicesEmptyGroup } from '../helpers/ui-stories.ts';
import { storedPieces } from '../helpers/stored-pieces.ts';
import { formatBytes } from '../../client/commands/format.ts';
import { bytesOf } from '../helpers/files.ts';

// Five pieces: a.bin is pieces 0-1, b.bin runs from inside piece 1 to inside piece 3, c.bin from there to the end (piece 4).
const files = [
  { name: 'a.bin', bytes: bytesOf(1, PIECE_SIZE + 100_000) },
  { name: 'b.bin', bytes: bytesOf(2, 2 * PIECE_SIZE) },
  { name: 'c.bin', bytes: bytesOf(3, PIECE_SIZE + 50_000) },
];

/** The piece indices bob's browser has stored, of its one batch (OPFS or IndexedDB, tests/helpers/stored-pieces.ts). */
const bobsPieces = (page: Page) => storedPieces(page, 'bob');

test('bob downloads one file of a 3-file batch: only its pieces are fetched, it saves byte-exact, the row says it is here; Download all fetches the rest', { timeout: 120_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  const total = files.reduce((n, f) => n + f.bytes.length, 0);
  const ranges = batchRanges(files.map((f) => ({ path: f.name, size: f.bytes.length })));
  const piecesOfB = piecesOfRange(ranges[1]!.start, ranges[1]!.end, PIECE_SIZE)!;
  assert.deepEqual(piecesOfB, { first: 1, last: 3 });
  const pieceCount = Math.ceil(total / PIECE_SIZE);
  assert.equal(pieceCount, 5);

  await withBrowserErrors([alice, bob], async () => {
    await bobJoinsAlicesEmptyGroup(tracker.httpUrl, alice, bob, 'team');

    await A.getByRole('textbox', { name: 'Name for several files shared together' }).fill('three parts');
    await dropFiles(A, files);
    await B.getByText('three parts', { exact: true }).waitFor();

    // Bob opens the list and asks for b.bin alone.
    await B.getByText('Show the 3 files').click();
    const list = B.getByRole('list', { name: 'Files in three parts' });
    const row = (path: string) => list.locator(`[data-testid="batch-file"][data-path="${path}"]`);
    await row('b.bin').getByRole('button', { name: 'Download b.bin', exact: true }).click();
    await row('b.bin').and(B.locator('[data-state="here"]')).waitFor({ timeout: 60_000 });

    // Only the pieces covering b.bin (1, 2, 3: two of them shared with its neighbours) were fetched.
    assert.deepEqual(await bobsPieces(B), [1, 2, 3]);
    assert.equal(await B.getByTestId('batch-here').textContent(), '1 of 3 files here');
    assert.equal(await row('a.bin').getAttribute('data-state'), 'not-asked');
    assert.equal(await row('c.bin').getAttribute('data-state'), 'not-asked');
    await row('a.bin').getByRole('button', { name: 'Download a.bin', exact: true }).waitFor();

    const saved = await saveDownload(B, row('b.bin').getByRole('button', { name: 'Save b.bin', exact: true }));
    assert.equal(saved.name, 'b.bin');
    assert.equal(sha1(saved.bytes), sha1(files[1]!.bytes), "b.bin's SHA-1 matches");

    // The Downloads page says that file is done, of its own size.
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    const card = B.getByRole('article', { name: 'three parts in team' });
    await card.getByText('Done', { exact: true }).waitFor();
    const size = formatBytes(files[1]!.bytes.length);
    assert.equal(await card.getByTestId('download-part').textContent(), `b.bin: ${size} of ${size} (100%)`);
    await card.getByRole('figure', { name: 'Piece map' }).getByText(/done 3/).waitFor();
    assert.deepEqual(await bobsPieces(B), [1, 2, 3], 'still nothing else fetched');
    await B.goBack();

    // Download all: the rest arrives, what was there is kept.
    await B.getByRole('button', { name: 'Download all of three parts' }).click();
    if (!(await list.isVisible())) await B.getByText('Show the 3 files').click();
    await row('c.bin').and(B.locator('[data-state="here"]')).waitFor({ timeout: 60_000 });
    await row('a.bin').and(B.locator('[data-state="here"]')).waitFor({ timeout: 60_000 });
    assert.deepEqual(await bobsPieces(B), [0, 1, 2, 3, 4]);
    const last = await saveDownload(B, row('c.bin').getByRole('button', { name: 'Save c.bin', exact: true }));
    assert.equal(sha1(last.bytes), sha1(files[2]!.bytes));
    const first = await saveDownload(B, row('a.bin').getByRole('button', { name: 'Save a.bin', exact: true }));
    assert.equal(sha1(first.bytes), sha1(files[0]!.bytes));
  });
  assertNoBrowserErrors(alice, bob);
});
