/**
 * A big share's phases through the app, in real Chromium against a real
 * tracker (issue 13 item 11): a dropped file (no file handle, so its pieces
 * are copied into IndexedDB to stay seedable after a reload) shows
 * "Checking the file", then "Storing for seeding after a reload", each with
 * its own progress bar, before "shared". A share picked from disk can be
 * cancelled while it is checked: nothing is registered with the tracker and
 * nothing is left in the browser's store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { createGroup, signUp } from '../helpers/ui.ts';
import type { Page } from 'playwright-core';

/** Records every progress bar's label the page shows, in order (a MutationObserver sees each render). */
async function recordProgressLabels(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenLabels: string[] }).seenLabels = seen;
    const look = () => {
      for (const el of document.querySelectorAll('progress[aria-label]')) {
        const label = el.getAttribute('aria-label')!;
        if (seen.at(-1) !== label) seen.push(label);
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

/** Drops a file made in the page (no file handle), as dragging it from the desktop does. */
async function dropGenerated(page: Page, name: string, size: number): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, size }) => {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i += 4096) data[i] = (i / 4096) & 0xff;
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
      return dt;
    },
    { name, size },
  );
  const zone = page.getByRole('region', { name: /Drop files here/ });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
}

/** Pieces and file records in the user's IndexedDB database (looked at, not changed). */
async function storedKeys(page: Page, user: string): Promise<number> {
  return page.evaluate(
    (db) =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open(db);
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const conn = req.result;
          let total = 0;
          const names = [...conn.objectStoreNames];
          if (names.length === 0) return resolve(0);
          const tx = conn.transaction(names, 'readonly');
          for (const n of names) {
            const c = tx.objectStore(n).count();
            c.onsuccess = () => (total += c.result);
          }
          tx.oncomplete = () => (conn.close(), resolve(total));
        };
      }),
    `meshdrop-${user}`,
  );
}

test('a dropped share shows checking, then storing, each with progress, then shared', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'films');
    await recordProgressLabels(A);
    await dropGenerated(A, 'film.bin', 48 * 1024 * 1024);
    await A.getByText('shared', { exact: true }).waitFor({ timeout: 120_000 });
    const seen = await A.evaluate(() => (window as unknown as { seenLabels: string[] }).seenLabels);
    assert.deepEqual(seen, ['Checking film.bin', 'Storing film.bin for seeding after a reload']);
    assert.equal(await A.getByText(/fingerprint/i).count(), 0);
  });
  assertNoBrowserErrors(alice);
});

test('a share being checked can be cancelled: nothing registered, nothing stored', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshdrop-big-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'archive.bin');
  // A sparse 1 GiB file: big enough that checking it takes a while, free on disk.
  const fh = await open(path, 'w');
  await fh.truncate(1024 * 1024 * 1024);
  await fh.close();

  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const A = alice.page;
  await withBrowserErrors([alice], async () => {
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'films');
    const [chooser] = await Promise.all([A.waitForEvent('filechooser'), A.getByRole('button', { name: 'Choose files…' }).click()]);
    await chooser.setFiles(path);
    await A.getByRole('progressbar', { name: 'Checking archive.bin' }).waitFor();
    await A.getByRole('button', { name: 'Cancel sharing archive.bin' }).click();
    await A.getByText('cancelled', { exact: true }).waitFor();
    assert.equal(await A.getByRole('progressbar').count(), 0);
    // Nothing was registered: the group lists no file, after a fresh look too.
    await A.reload();
    await A.getByRole('region', { name: /Drop files here/ }).waitFor();
    await A.getByRole('button', { name: 'Choose files…' }).waitFor();
    assert.equal(await A.getByText('archive.bin').count(), 0);
    assert.equal(await storedKeys(A, 'alice'), 0);
  });
  assertNoBrowserErrors(alice);
});
