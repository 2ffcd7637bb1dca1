/**
 * The app's piece store (web/src/platform/piece-store.ts) in real Chromium:
 * new files keep their pieces in one OPFS file per download, in the user's
 * own directory; it passes the shared PieceStore contract; a file whose
 * pieces were written to IndexedDB the old way stays there; a full disk
 * rejects putPiece with a clear error and leaves the store usable; a second
 * tab of the same user writes and reads the same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startTestTracker } from '../helpers/tracker.ts';
import { launchPerson, assertNoBrowserErrors } from '../helpers/browser.ts';
import { pieceStoreContract } from '../helpers/piece-store-contract.ts';

test('OPFS piece store in Chromium', { timeout: 180_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const person = await launchPerson(t, 'opfs');
  await person.open(`${tracker.httpUrl}/harness.html`);

  const results = await person.page.evaluate(() => window.meshdropHarness.runPieceStoreContract('app'));
  assert.deepEqual(results.map((r) => r.name), pieceStoreContract.map((c) => c.name), 'every contract case ran');
  for (const r of results) {
    await t.test(`contract (OPFS): ${r.name}`, () => assert.equal(r.error, undefined, r.error));
  }

  await t.test("a new file's pieces go to the user's own OPFS directory, not IndexedDB; a reopened store reads them", async () => {
    const got = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const f = '1'.repeat(40);
      const store = h.pieceStoreOf('olivia');
      await store.clear();
      const piece = new Uint8Array(h.PIECE_SIZE).map((_, i) => i * 7);
      await store.putPiece(f, 0, piece);
      await store.putPiece(f, 1, piece.subarray(0, 1000));
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle('meshdrop-olivia');
      const names: string[] = [];
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      const inIdb = await new h.IdbPieceStore('meshdrop-olivia').getPiece(f, 0);
      const other = await h.pieceStoreOf('oscar').getPiece(f, 0);
      const again = h.pieceStoreOf('olivia');
      const back = await again.getPiece(f, 0);
      const last = await again.getPiece(f, 1);
      return {
        names: names.sort(),
        inIdb: inIdb === undefined,
        other: other === undefined,
        backend: await again.backendOf(f),
        same: back !== undefined && back.length === piece.length && back.every((b, i) => b === piece[i]),
        last: last?.length,
      };
    });
    assert.deepEqual(got.names, ['1'.repeat(40) + '.index', '1'.repeat(40) + '.pieces']);
    assert.equal(got.inIdb, true, 'no IndexedDB Blob for an OPFS piece');
    assert.equal(got.other, true, 'another user of this browser does not see the piece');
    assert.equal(got.backend, 'opfs');
    assert.equal(got.same, true, 'the piece reads back byte-exact from a reopened store');
    assert.equal(got.last, 1000);
  });

  await t.test('a file whose pieces are in IndexedDB (written before OPFS) keeps them there: resume, serve, save', async () => {
    const got = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const f = '2'.repeat(40);
      const size = h.PIECE_SIZE;
      const pieceOf = (i: number) => new Uint8Array(size).fill(i + 1);
      const rec = {
        fileId: f,
        meta: { groupId: 'g', name: 'old.bin', size: 4 * size, pieceSize: size, pieceHashes: ['a', 'b', 'c', 'd'].map((c) => c.repeat(40)) },
        have: new Uint8Array([0b1100_0000]),
        state: 'downloading' as const,
        source: 'store' as const,
        origin: 'downloaded' as const,
        addedAt: 1,
      };
      // The old code: records and pieces in IndexedDB only.
      const old = new h.IdbPieceStore('meshdrop-ida');
      await old.clear();
      await old.putFile(rec);
      await old.putPiece(f, 0, pieceOf(0));
      await old.putPiece(f, 1, pieceOf(1));
      // The app's store now: the rest of the download goes where the first pieces are.
      const store = h.pieceStoreOf('ida');
      await store.putPiece(f, 2, pieceOf(2));
      await store.putPiece(f, 3, pieceOf(3));
      await store.putFile({ ...rec, have: new Uint8Array([0b1111_0000]), state: 'complete' });
      const served = await store.getPiece(f, 1);
      const viaOld = await old.getPiece(f, 3);
      const whole = await h.storedFileBlob(store, (await store.getFile(f))!);
      const bytes = new Uint8Array(await whole.arrayBuffer());
      const root = await navigator.storage.getDirectory();
      const opfsFile = await root.getDirectoryHandle('meshdrop-ida').then(
        (d) => d.getFileHandle(`${f}.pieces`).then(() => true, () => false),
        () => false,
      );
      await store.deleteFile(f);
      return {
        backend: 'idb',
        served: served?.every((b) => b === 2) && served.length === size,
        restInIdb: viaOld?.every((b) => b === 4) && viaOld.length === size,
        saved: bytes.length === 4 * size && [0, 1, 2, 3].every((i) => bytes[i * size] === i + 1 && bytes[i * size + size - 1] === i + 1),
        opfsFile,
        afterDelete: (await old.getPiece(f, 0)) === undefined && (await store.getFile(f)) === undefined,
      };
    });
    assert.deepEqual(got, { backend: 'idb', served: true, restInIdb: true, saved: true, opfsFile: false, afterDelete: true });
  });

  await t.test('a complete OPFS file saves from one snapshot; one still downloading saves what it holds, exact', async () => {
    const got = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const f = '3'.repeat(40);
      const size = h.PIECE_SIZE;
      const store = h.pieceStoreOf('sam');
      await store.clear();
      const rec = {
        fileId: f,
        meta: { groupId: 'g', name: 'new.bin', size: 2 * size + 10, pieceSize: size, pieceHashes: ['a', 'b', 'c'].map((c) => c.repeat(40)) },
        have: new Uint8Array([0b1110_0000]),
        state: 'downloading' as const,
        source: 'store' as const,
        origin: 'downloaded' as const,
        addedAt: 1,
      };
      await store.putFile(rec);
      await store.putPiece(f, 0, new Uint8Array(size).fill(1));
      await store.putPiece(f, 2, new Uint8Array(10).fill(3));
      // Still downloading: Blobs that stay readable while piece 1 is written after them.
      const partial = await store.getPieceBlobs(f, 3);
      await store.putPiece(f, 1, new Uint8Array(size).fill(2));
      const partialOk = partial[1] === undefined && (await partial[0]!.arrayBuffer()).byteLength === size && new Uint8Array(await partial[2]!.arrayBuffer())[9] === 3;
      await store.putFile({ ...rec, state: 'complete' });
      const whole = new Uint8Array(await (await h.storedFileBlob(store, (await store.getFile(f))!)).arrayBuffer());
      return { partialOk, size: whole.length, ends: [whole[0], whole[size], whole[2 * size + 9]] };
    });
    assert.deepEqual(got, { partialOk: true, size: 2 * 512 * 1024 + 10, ends: [1, 2, 3] });
  });

  await t.test('a file marked complete with a piece missing or short in OPFS is refused, never saved with a hole', async () => {
    const got = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const size = h.PIECE_SIZE;
      const store = h.pieceStoreOf('hal');
      await store.clear();
      const meta = { groupId: 'g', name: 'holes.bin', size: 3 * size, pieceSize: size, pieceHashes: ['a', 'b', 'c'].map((c) => c.repeat(40)) };
      const outcome = async (f: string, pieces: [number, number][]) => {
        for (const [i, n] of pieces) await store.putPiece(f, i, new Uint8Array(n).fill(i + 1));
        // A record that claims more than the store holds (a bug elsewhere, or a disk that lost pieces): the save must notice.
        await store.putFile({ fileId: f, meta, have: new Uint8Array([0b1110_0000]), state: 'complete', source: 'store', origin: 'downloaded', addedAt: 1 });
        return h.storedFileBlob(store, (await store.getFile(f))!).then(
          (b) => `saved ${b.size} bytes`,
          (e: Error) => `${e.name}: ${e.message}`,
        );
      };
      return {
        // Piece 1 never written: the OPFS file has zeros where it should be.
        hole: await outcome('5'.repeat(40), [[0, size], [2, size]]),
        // Piece 1 stored shorter than a full piece: the bytes after it would shift.
        short: await outcome('6'.repeat(40), [[0, size], [1, 1000], [2, size]]),
        whole: await outcome('7'.repeat(40), [[0, size], [1, size], [2, size]]),
      };
    });
    assert.match(got.hole, /^IncompleteFileError: .*piece 1 of 3 is not stored/);
    assert.match(got.short, /^IncompleteFileError: .*add up to/);
    assert.equal(got.whole, `saved ${3 * 512 * 1024} bytes`);
  });

  await t.test("saving one file of a partly downloaded batch reads that file's pieces only, not the rest of the batch", async () => {
    // Five pieces: a.bin is pieces 0-1, b.bin from inside piece 1 to inside piece 3, c.bin from there to piece 4 (not here yet).
    const sizes = [512 * 1024 + 100_000, 2 * 512 * 1024, 512 * 1024 + 50_000];
    const byteAt = (i: number) => ((i * 31) >> 3) & 0xff;
    type BatchPage = { readForSave(path: string): Promise<number[]>; completeBatch(): Promise<void> };
    await person.page.evaluate(async (sizes) => {
      const h = window.meshdropHarness;
      const size = h.PIECE_SIZE;
      const total = sizes.reduce((a, b) => a + b, 0);
      const all = new Uint8Array(total).map((_, i) => (i * 31) >> 3);
      const f = '8'.repeat(40);
      const store = h.pieceStoreOf('bea');
      await store.clear();
      const files = sizes.map((n, i) => ({ path: `${'abc'[i]}.bin`, size: n }));
      const meta = { groupId: 'g', name: 'three parts', size: total, pieceSize: size, pieceHashes: [0, 1, 2, 3, 4].map((i) => String(i).repeat(40)), files };
      for (const i of [0, 1, 2, 3]) await store.putPiece(f, i, all.subarray(i * size, (i + 1) * size));
      await store.putFile({ fileId: f, meta, have: new Uint8Array([0b1111_0000]), state: 'downloading', source: 'store', origin: 'downloaded', addedAt: 1 });
      // Which pieces a save reads into memory: a batch may be far larger than the file asked for.
      let read: number[] = [];
      const getPiece = store.getPiece.bind(store);
      store.getPiece = (fileId: string, index: number) => (read.push(index), getPiece(fileId, index));
      const page: BatchPage = {
        async readForSave(path) {
          read = [];
          await h.saveBatchFile(store, (await store.getFile(f))!, path);
          return read;
        },
        async completeBatch() {
          await store.putPiece(f, 4, all.subarray(4 * size));
          await store.putFile({ ...(await store.getFile(f))!, have: new Uint8Array([0b1111_1000]), state: 'complete' });
        },
      };
      (window as unknown as { batchPage: BatchPage }).batchPage = page;
    }, sizes);
    const save = async (path: string, from: number) => {
      const [download, read] = await Promise.all([
        person.page.waitForEvent('download'),
        person.page.evaluate((p) => (window as unknown as { batchPage: BatchPage }).batchPage.readForSave(p), path),
      ]);
      assert.equal(download.suggestedFilename(), path);
      const bytes = await readFile((await download.path())!);
      const size = sizes['abc'.indexOf(path[0]!)]!;
      assert.equal(bytes.length, size, `${path} has every byte`);
      assert.ok(bytes.every((b, i) => b === byteAt(from + i)), `${path} saves byte-exact`);
      return read;
    };

    assert.deepEqual(await save('b.bin', sizes[0]!), [1, 2, 3], "only b.bin's pieces are read");
    // The batch complete: a file of it is a slice of the whole OPFS file, no piece read into memory.
    await person.page.evaluate(() => (window as unknown as { batchPage: BatchPage }).batchPage.completeBatch());
    assert.deepEqual(await save('c.bin', sizes[0]! + sizes[1]!), [], 'no piece read: one slice of the OPFS file');
  });

  await t.test('a full disk rejects putPiece with an error that says so, and the store stays usable', async () => {
    const cdp = await person.context.newCDPSession(person.page);
    const origin = new URL(tracker.httpUrl).origin;
    const used = await person.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: used + 2 * 1024 * 1024 });
    const full = await person.page.evaluate(async () => {
      const h = window.meshdropHarness;
      const f = '4'.repeat(40);
      const store = h.pieceStoreOf('quinn');
      const errors: string[] = [];
      for (let i = 0; i < 12; i++) {
        await store.putPiece(f, i, new Uint8Array(h.PIECE_SIZE).fill(i)).catch((e: Error) => errors.push(e.message));
      }
      const held: number[] = [];
      for (let i = 0; i < 12; i++) if (await store.getPiece(f, i)) held.push(i);
      return { errors, held };
    });
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    assert.ok(full.errors.length > 0, `some writes failed over the quota: ${JSON.stringify(full)}`);
    assert.match(full.errors[0]!, /piece \d+: .*(full|QuotaExceeded)/i);
    const after = await person.page.evaluate(async (held) => {
      const h = window.meshdropHarness;
      const f = '4'.repeat(40);
      const store = h.pieceStoreOf('quinn');
      // Every piece its putPiece acknowledged is there, exact; a failed one reads as not stored.
      const exact = (await Promise.all(held.map(async (i) => (await store.getPiece(f, i))!.every((b) => b === i)))).every(Boolean);
      await store.putPiece(f, 11, new Uint8Array(h.PIECE_SIZE).fill(11));
      const again = await store.getPiece(f, 11);
      await store.deleteFile(f);
      return { exact, again: again?.every((b) => b === 11) };
    }, full.held);
    assert.deepEqual(after, { exact: true, again: true });
    assert.ok(full.held.length < 12);
  });

  await t.test('a second tab of the same user writes and reads the same OPFS file', async () => {
    const second = await person.context.newPage();
    t.after(() => second.close().catch(() => undefined));
    await second.goto(`${tracker.httpUrl}/harness.html`, { waitUntil: 'load' });
    const f = '5'.repeat(40);
    const write = (page: typeof second, index: number) =>
      page.evaluate(async ([f, index]) => {
        const h = window.meshdropHarness;
        await h.pieceStoreOf('tara').putPiece(f as string, index as number, new Uint8Array(2000).fill((index as number) + 1));
      }, [f, index] as const);
    const read = (page: typeof second) =>
      page.evaluate(async (f) => {
        const store = window.meshdropHarness.pieceStoreOf('tara');
        return Promise.all([0, 1].map(async (i) => (await store.getPiece(f, i))?.[1999]));
      }, f);
    await write(person.page, 0);
    await write(second, 1);
    assert.deepEqual(await read(person.page), [1, 2], 'the first tab reads both');
    assert.deepEqual(await read(second), [1, 2], 'the second tab reads both');
    await person.page.evaluate((f) => window.meshdropHarness.pieceStoreOf('tara').deleteFile(f), f);
  });
  assertNoBrowserErrors(person);
});
