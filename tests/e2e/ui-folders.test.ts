/**
 * Folders and batches (issue 13 item 7), through the app in real Chromium
 * against a real tracker. Alice picks a folder of 20 files (nested, one
 * empty, some spanning piece boundaries) and then drops three files at once
 * under a name she types; each is one entry. Bob, watching the group, sees
 * one row and one notice per batch (before: 20 rows, a second list of the
 * same 20 files, five stacked notices), downloads the folder whole into a
 * folder he picks and saves one of its files alone: every file byte-exact.
 *
 * The folder "picked" is Chromium's real origin-private file system: the
 * init script replaces only the native picker dialog (which a headless
 * browser cannot show) with a handle to a directory there; every write the
 * app makes is a real File System Access write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { dropFiles, saveDownload, sha1 } from '../helpers/ui.ts';
import { bobJoinsAlicesEmptyGroup } from '../helpers/ui-stories.ts';
import { screenshotPath } from '../helpers/screenshots.ts';
import { formatBytes } from '../../client/commands/format.ts';
import { ok, signedIn } from '../helpers/cli.ts';
import { bytesOf } from '../helpers/files.ts';

/** 20 files under holiday/: sizes chosen so pieces span file boundaries; one file is empty. */
function holiday(): { path: string; bytes: Uint8Array }[] {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 20; i++) {
    const size = i === 7 ? 0 : i === 3 ? PIECE_SIZE + 12_345 : 30_000 + i * 17_001;
    const dir = i < 8 ? 'holiday' : i < 15 ? 'holiday/day 2' : 'holiday/day 2/evening';
    files.push({ path: `${dir}/photo-${String(i).padStart(2, '0')}.bin`, bytes: bytesOf(i + 1, size) });
  }
  return files;
}

const sortKeys = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

/** SHA-1 of every file under the OPFS directory `name`, by path. */
async function hashesInOpfs(page: Page, name: string): Promise<Record<string, string>> {
  return page.evaluate(async (name) => {
    const out: Record<string, string> = {};
    const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
      for await (const [entryName, handle] of (dir as unknown as AsyncIterable<[string, FileSystemHandle]>)) {
        const path = prefix ? `${prefix}/${entryName}` : entryName;
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, path);
        else out[path] = hex(await crypto.subtle.digest('SHA-1', await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer()));
      }
    };
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle(name), '');
    return out;
  }, name);
}

test('a folder and a batch of files are one entry each: one row, one notice; saved whole into a folder and one file alone, byte-exact', { timeout: 175_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const A = alice.page;
  const B = bob.page;
  // Only the dialog is stood in for: the handle is a real directory of Chromium's origin-private file system.
  await bob.context.addInitScript(() => {
    (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async () =>
      (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
  });
  const dir = await mkdtemp(join(tmpdir(), 'meshdrop-folder-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = holiday();
  for (const f of files) {
    await mkdir(dirname(join(dir, f.path)), { recursive: true });
    await writeFile(join(dir, f.path), f.bytes);
  }
  const total = files.reduce((n, f) => n + f.bytes.length, 0);

  await withBrowserErrors([alice, bob], async () => {
    await bobJoinsAlicesEmptyGroup(tracker.httpUrl, alice, bob, 'trip');

    // Alice picks the folder (the folder input: setInputFiles with a directory, as the picker would hand it over).
    await A.getByTestId('folder-input').setInputFiles(join(dir, 'holiday'));
    await A.getByText('shared', { exact: true }).waitFor();
    const aliceShares = A.getByRole('list', { name: 'Files being shared' }).getByRole('listitem');
    assert.equal(await aliceShares.count(), 1, 'one row while the folder is checked and stored, not one per file');
    assert.match((await aliceShares.textContent()) ?? '', /holiday.*20 files/);

    // Bob: one row with the count and total size, one notice.
    const bobFiles = B.getByRole('list', { name: 'Shared files' }).getByRole('listitem').filter({ has: B.getByTestId('batch-count') });
    await bobFiles.first().waitFor();
    const rows = B.getByRole('list', { name: 'Shared files' }).locator(':scope > li');
    assert.equal(await rows.count(), 1, 'the folder is one entry');
    assert.equal(await B.getByTestId('batch-count').textContent(), '20 files');
    assert.match((await rows.first().textContent()) ?? '', new RegExp(`20 files · ${formatBytes(total)} · shared by alice`));
    const notices = B.getByRole('region', { name: 'Notifications' }).getByText(/alice shared/);
    await notices.first().waitFor();
    assert.deepEqual(await notices.allTextContents(), ['alice shared holiday (20 files) in trip.']);

    // Several files dropped at once, under a name alice types: one more entry.
    await A.getByRole('textbox', { name: 'Name for several files shared together' }).fill('three notes');
    await dropFiles(A, [1, 2, 3].map((i) => ({ name: `note-${i}.txt`, bytes: bytesOf(100 + i, 1000 * i) })));
    await B.getByText('three notes', { exact: true }).waitFor();
    await B.getByRole('region', { name: 'Notifications' }).getByText('alice shared three notes (3 files) in trip.').waitFor();
    assert.equal(await rows.count(), 2, 'two batches, two rows');

    // Bob downloads the folder whole and saves it into a folder he picks.
    await B.getByRole('button', { name: 'Download holiday', exact: true }).click();
    const saveAll = B.getByRole('button', { name: 'Save all of holiday into a folder' });
    await saveAll.waitFor({ timeout: 60_000 });
    await saveAll.click();
    const want = Object.fromEntries(files.map((f) => [f.path, sha1(f.bytes)]));
    // The writes finish after the click returns: poll until the folder holds them all (a file appears empty until its writer closes).
    let saved: Record<string, string> = {};
    for (let i = 0; i < 200 && JSON.stringify(sortKeys(saved)) !== JSON.stringify(sortKeys(want)); i++) {
      await B.waitForTimeout(50);
      saved = await hashesInOpfs(B, 'picked').catch(() => ({}));
    }
    assert.deepEqual(saved, want, 'every file of the folder, in its place, byte-exact');

    // And one file alone: the one spanning a piece boundary, through the browser's downloads.
    await B.getByText('Show the 20 files').click();
    const one = files[3]!;
    const alone = await saveDownload(B, B.getByRole('button', { name: `Save ${one.path}`, exact: true }));
    assert.equal(alone.name, 'photo-03.bin');
    assert.equal(sha1(alone.bytes), sha1(one.bytes));
    await B.screenshot({ path: screenshotPath('group-batch.png'), fullPage: true });

    // The command line lists the batch as one entry and downloads it whole, writing the tree into a folder.
    const carol = await signedIn(t, 'carol', tracker.wsUrl);
    await ok(carol, ['join_group', 'trip']);
    await A.getByRole('button', { name: 'Accept carol' }).click();
    await A.getByRole('button', { name: 'Accept carol' }).waitFor({ state: 'detached' });
    const listed = (await ok(carol, ['list_files', 'trip'])).trim().split('\n');
    assert.equal(listed.length, 2, listed.join('\n'));
    assert.ok(listed.some((l) => l.startsWith(`holiday  20 files  ${formatBytes(total)}  shared by alice`)), listed.join('\n'));
    const out = await ok(carol, ['download_file', 'trip', 'holiday', carol.home]);
    assert.match(out, /Downloaded holiday \(20 files, .*\) into /);
    for (const f of files) assert.equal(sha1(await readFile(join(carol.home, f.path))), sha1(f.bytes), f.path);
  });
  assertNoBrowserErrors(alice, bob);
});
