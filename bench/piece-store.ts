/**
 * What keeping a verified piece costs a downloading browser, in CPU per MB
 * of its whole Chromium process tree (renderer, browser process, storage
 * service), for issue 12 item 1: the one-seeder download's CPU per MB
 * against the raw channel's is what that item measures, and a download
 * keeps every 512 KiB piece it verifies. Each way stores the same fresh
 * copy of a piece (a piece arrives as new bytes), in one real Chromium with
 * its profile on disk, runs alternating, medians:
 *
 * - `copy`: only the fresh copy of each piece: the floor of the others;
 * - `sha1`: WebCrypto SHA-1 of each piece, as a download verifies it;
 * - `idb`: the IndexedDB store (`IdbPieceStore.putPiece`: a Blob per
 *   piece, batched transactions; web/src/platform/idb-store.ts), where the
 *   app kept pieces before OPFS (and still does where a browser has none);
 * - `app`: the store the app uses (`pieceStoreOf`: web/src/platform/piece-store.ts,
 *   pieces in OPFS through its worker where the browser has it);
 * - `opfs`: each piece handed (transferred) to a dedicated worker that writes
 *   it at its offset in one Origin Private File System file through a sync
 *   access handle, flushed every 16 pieces: the lever named in
 *   docs/transfer-profile.md, measured before anyone builds it.
 *
 * And what serving costs the sharer, reading the same number of pieces from
 * a file on disk chosen in the page (the harness's `#file`):
 *
 * - `read`: one piece at a time in random order, as a seeder serves a
 *   downloader's rarest-first picks (`BlobPieceSource.readPiece`);
 * - `read8`: eight pieces per read, in order: what a read-ahead would cost
 *   if pieces were asked for in order.
 *
 *   npm run build:test && npm run bench -- piece-store [--size-mb 128] [--save-mb 1024] [--runs 3]
 *
 * And what a save of a finished download costs the page before the
 * browser reads a byte (`--save-mb`, default 1024; 4096 is issue 12 item
 * 4's file): the whole file as one Blob the way the app builds it
 * (`storedFileBlob`: one slice of the OPFS file) against a Blob per piece
 * composed into one (what it did before), time and renderer RSS kept each.
 *
 * Prints each way's CPU-ms/MB, the keeping ways' cost above `copy`, the save
 * figures; the last line is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomFile } from './lib/files.ts';
import { launchPerson } from '../tests/helpers/browser.ts';
import { startTestTracker } from '../tests/helpers/tracker.ts';
import { cpuMs, rendererRss } from './lib/browser-procs.ts';
import { median, round } from './lib/stats.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string' }, 'save-mb': { type: 'string' }, runs: { type: 'string' } } });
const cfg = { sizeMb: Number(values['size-mb'] ?? 128), saveMb: Number(values['save-mb'] ?? 1024), runs: Number(values.runs ?? 3) };
const WAYS = ['copy', 'sha1', 'idb', 'app', 'opfs', 'read', 'read8'] as const;
type Way = (typeof WAYS)[number];

const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };
const tracker = await startTestTracker(t);
const person = await launchPerson(t, 'store');
await person.open(`${tracker.httpUrl}/harness.html`);
await person.page.waitForFunction(() => window.meshdropHarness !== undefined);
const workDir = await mkdtemp(join(tmpdir(), 'meshdrop-bench-store-'));
t.after(() => rm(workDir, { recursive: true, force: true }));
await person.page.setInputFiles('#file', (await randomFile(workDir, 'served.bin', cfg.sizeMb)).path);

/** Stores `pieces` fresh 512 KiB pieces the given way in the page; resolves when every one is kept. */
function store(way: Way, pieces: number, run: number): Promise<void> {
  return person.page.evaluate(
    async ([way, pieces, run]) => {
      const h = window.meshdropHarness;
      const size = h.PIECE_SIZE;
      const source = new Uint8Array(size);
      for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(source.subarray(i, i + 65_536));
      const fresh = (i: number) => {
        const bytes = source.slice();
        bytes[0] = i & 0xff;
        return bytes;
      };
      if (way === 'read' || way === 'read8') {
        const source = new h.BlobPieceSource(h.pickedFile(), size);
        const count = Math.min(pieces, Math.ceil(source.file.size / size));
        if (way === 'read') {
          const order = Array.from({ length: count }, (_, i) => i);
          for (let i = count - 1; i > 0; i--) {
            const j = Math.floor(Math.random() * (i + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          for (const i of order) await source.readPiece(i);
        } else {
          for (let i = 0; i < count; i += 8) await source.file.slice(i * size, Math.min(source.file.size, (i + 8) * size)).arrayBuffer();
        }
        return;
      }
      if (way === 'copy') {
        let sum = 0;
        for (let i = 0; i < pieces; i++) sum += fresh(i)[1]!;
        if (sum < 0) throw new Error('unreachable'); // keeps the copies from being optimised away
      } else if (way === 'sha1') {
        for (let i = 0; i < pieces; i++) await crypto.subtle.digest('SHA-1', fresh(i));
      } else if (way === 'idb' || way === 'app') {
        const s = way === 'app' ? h.pieceStoreOf(`bench-${run}`) : new h.IdbPieceStore(`meshdrop-bench-idb-${run}`);
        const fileId = 'f'.repeat(40);
        await Promise.all(Array.from({ length: pieces }, (_, i) => s.putPiece(fileId, i, fresh(i))));
        await s.clear();
      } else {
        const worker = new Worker(
          URL.createObjectURL(
            new Blob(
              [
                `let handle, n = 0;
                onmessage = async (e) => {
                  if (e.data.open) {
                    const dir = await navigator.storage.getDirectory();
                    handle = await (await dir.getFileHandle(e.data.open, { create: true })).createSyncAccessHandle();
                    postMessage('open');
                    return;
                  }
                  if (e.data.done) { handle.flush(); handle.close(); postMessage('done'); return; }
                  handle.write(new Uint8Array(e.data.buffer), { at: e.data.index * e.data.size });
                  if (++n % 16 === 0) handle.flush();
                };`,
              ],
              { type: 'text/javascript' },
            ),
          ),
        );
        const next = () => new Promise((resolve) => worker.addEventListener('message', resolve, { once: true }));
        const name = `bench-${run}.bin`;
        worker.postMessage({ open: name });
        await next();
        for (let i = 0; i < pieces; i++) {
          const bytes = fresh(i);
          worker.postMessage({ index: i, size, buffer: bytes.buffer }, [bytes.buffer]);
        }
        worker.postMessage({ done: true });
        await next();
        worker.terminate();
        await (await navigator.storage.getDirectory()).removeEntry(name);
      }
    },
    [way, pieces, run] as const,
  );
}

/** Stores a complete file of `pieces` pieces in the app's store, for the save figures. */
function storeComplete(pieces: number): Promise<void> {
  return person.page.evaluate(async (pieces) => {
    const h = window.meshdropHarness;
    const store = h.pieceStoreOf('bench-save');
    await store.clear();
    const fileId = 'e'.repeat(40);
    const piece = new Uint8Array(h.PIECE_SIZE).fill(5);
    for (let i = 0; i < pieces; i++) await store.putPiece(fileId, i, piece);
    const meta = { groupId: 'g', name: 'saved.bin', size: pieces * h.PIECE_SIZE, pieceSize: h.PIECE_SIZE, pieceHashes: Array.from({ length: pieces }, () => 'a'.repeat(40)) };
    await store.putFile({ fileId, meta, have: new Uint8Array(Math.ceil(pieces / 8)).fill(255), state: 'complete', source: 'store', origin: 'downloaded', addedAt: 1 });
  }, pieces);
}

/** Builds the finished file's Blob one way and keeps it (as a save holds it while the browser reads): ms taken, renderer RSS added. */
async function prepareSave(way: 'app' | 'perPiece'): Promise<{ ms: number; rssMiB: number }> {
  const before = await rendererRss(person);
  const ms = await person.page.evaluate(async (way) => {
    const h = window.meshdropHarness;
    const store = h.pieceStoreOf('bench-save');
    const file = (await store.getFile('e'.repeat(40)))!;
    const t0 = performance.now();
    const blob = way === 'app' ? await h.storedFileBlob(store, file) : new Blob((await store.getPieceBlobs(file.fileId, file.meta.pieceHashes.length)) as Blob[]);
    (globalThis as { benchSaveBlob?: Blob }).benchSaveBlob = blob;
    return performance.now() - t0;
  }, way);
  const rssMiB = ((await rendererRss(person)) - before) / 1024 / 1024;
  await person.page.evaluate(() => delete (globalThis as { benchSaveBlob?: Blob }).benchSaveBlob);
  return { ms, rssMiB };
}

const pieces = Math.ceil((cfg.sizeMb * 1024 * 1024) / (512 * 1024));
const mb = (pieces * 512 * 1024) / 1e6;
const perMb = Object.fromEntries(WAYS.map((w) => [w, [] as number[]])) as Record<Way, number[]>;
try {
  console.log(`# what keeping a piece costs: ${pieces} pieces of 512 KiB (${cfg.sizeMb} MiB), ${cfg.runs} run(s), CPU of the whole browser`);
  await store('idb', 16, -1); // warm up: the database, the worker, the compiled code
  await store('app', 16, -1);
  for (let run = 0; run < cfg.runs; run++) {
    // Alternating order, so a slow moment of the machine does not land on one way every run.
    const order = run % 2 ? [...WAYS].reverse() : WAYS;
    const line: string[] = [];
    for (const way of order) {
      const before = await cpuMs(person);
      await store(way, pieces, run);
      const cost = ((await cpuMs(person)) - before) / mb;
      perMb[way].push(cost);
      line.push(`${way} ${round(cost)}`);
    }
    console.log(`run ${run + 1}: CPU-ms/MB ${line.join(', ')}`);
  }
  const medians = Object.fromEntries(WAYS.map((w) => [w, round(median(perMb[w]))])) as Record<Way, number>;
  const above = Object.fromEntries(WAYS.filter((w) => w !== 'copy' && !w.startsWith('read')).map((w) => [w, round(medians[w] - medians.copy)]));
  console.log(`median CPU-ms/MB: ${WAYS.map((w) => `${w} ${medians[w]}`).join(', ')}`);
  console.log(`above the copy: ${Object.entries(above).map(([w, v]) => `${w} ${v}`).join(', ')}; opfs against idb ${round(above.opfs! / above.idb!, 2)}, the app's store against idb ${round(above.app! / above.idb!, 2)}`);
  console.log(`serving: read ${medians.read} CPU-ms/MB a piece at a time in random order, ${medians.read8} eight pieces a read in order`);
  const savePieces = Math.ceil((cfg.saveMb * 1024 * 1024) / (512 * 1024));
  console.log(`# preparing the save of a finished ${cfg.saveMb} MiB download (${savePieces} pieces in OPFS)`);
  await storeComplete(savePieces);
  const save = { app: [] as { ms: number; rssMiB: number }[], perPiece: [] as { ms: number; rssMiB: number }[] };
  for (let run = 0; run < cfg.runs; run++) {
    for (const way of run % 2 ? (['perPiece', 'app'] as const) : (['app', 'perPiece'] as const)) save[way].push(await prepareSave(way));
    console.log(`run ${run + 1}: the app's way ${round(save.app.at(-1)!.ms)} ms, +${round(save.app.at(-1)!.rssMiB)} MiB renderer RSS; a Blob per piece ${round(save.perPiece.at(-1)!.ms)} ms, +${round(save.perPiece.at(-1)!.rssMiB)} MiB`);
  }
  const saveMedians = Object.fromEntries(
    (['app', 'perPiece'] as const).map((w) => [w, { ms: round(median(save[w].map((r) => r.ms))), rssMiB: round(median(save[w].map((r) => r.rssMiB))) }]),
  );
  console.log(`median: the app's way ${saveMedians.app!.ms} ms, +${saveMedians.app!.rssMiB} MiB; a Blob per piece ${saveMedians.perPiece!.ms} ms, +${saveMedians.perPiece!.rssMiB} MiB`);
  console.log(JSON.stringify({ config: cfg, cpuMsPerMb: medians, aboveCopy: above, opfsVsIdb: round(above.opfs! / above.idb!, 2), appVsIdb: round(above.app! / above.idb!, 2), read8VsRead: round(medians.read8 / medians.read, 2), savePrep: saveMedians }));
} finally {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
