/**
 * The acceptance suite every PieceStore must pass (client/ports.ts): the
 * memory store in tests/unit, IndexedDB in Chromium (tests/e2e).
 *
 * Framework-free on purpose: no node:test, no node:assert, no Node API, so
 * the same cases run inside a browser page. Each case gets a fresh, empty
 * store and throws an Error saying what broke.
 *
 *   for (const c of pieceStoreContract) test(c.name, () => c.run(makeStore));
 */
import type { PieceStore, StoredFile } from '../../client/ports.ts';

export interface ContractCase {
  name: string;
  run(makeStore: () => Promise<PieceStore>): Promise<void>;
}

function check(ok: unknown, message: string): void {
  if (!ok) throw new Error(`PieceStore contract: ${message}`);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array, what: string): void {
  check(a instanceof Uint8Array, `${what}: expected a Uint8Array, got ${a === undefined ? 'undefined' : Object.prototype.toString.call(a)}`);
  check(a!.length === b.length, `${what}: expected ${b.length} bytes, got ${a!.length}`);
  for (let i = 0; i < b.length; i++) if (a![i] !== b[i]) check(false, `${what}: byte ${i} differs`);
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function record(fileId: string, pieces: number, overrides: Partial<StoredFile> = {}): StoredFile {
  return {
    fileId,
    meta: {
      groupId: 'team',
      name: `${fileId.slice(0, 6)}.bin`,
      size: pieces * 512 * 1024,
      pieceSize: 512 * 1024,
      pieceHashes: Array.from({ length: pieces }, (_, i) => i.toString(16).padStart(40, '0')),
    },
    have: new Uint8Array(Math.ceil(pieces / 8)),
    state: 'downloading',
    source: 'store',
    origin: 'downloaded',
    addedAt: 1_700_000_000_000,
    ...overrides,
  };
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

export const pieceStoreContract: ContractCase[] = [
  {
    name: 'an empty store lists no files and has no pieces',
    async run(make) {
      const store = await make();
      check((await store.listFiles()).length === 0, 'listFiles of an empty store is not empty');
      check((await store.getFile(A)) === undefined, 'getFile of an unknown id is not undefined');
      check((await store.getPiece(A, 0)) === undefined, 'getPiece of an unknown piece is not undefined');
    },
  },
  {
    name: 'a file record round-trips with its metadata and bitfield',
    async run(make) {
      const store = await make();
      const rec = record(A, 20);
      rec.have[0] = 0b1010_0000;
      rec.have[2] = 0b1111_0000;
      await store.putFile(rec);
      const got = await store.getFile(A);
      check(got !== undefined, 'getFile after putFile is undefined');
      check(JSON.stringify(got!.meta) === JSON.stringify(rec.meta), 'meta differs after a round trip');
      sameBytes(got!.have, rec.have, 'have bitfield');
      check(got!.state === 'downloading' && got!.source === 'store' && got!.addedAt === rec.addedAt, 'state, source or addedAt differ');
      check(got!.origin === 'downloaded', 'origin differs');
      const list = await store.listFiles();
      check(list.length === 1 && list[0]!.fileId === A, 'listFiles does not list exactly the stored file');
    },
  },
  {
    name: 'putFile replaces the record (progress is saved)',
    async run(make) {
      const store = await make();
      await store.putFile(record(A, 9));
      const have = new Uint8Array(2);
      have[0] = 0xff;
      have[1] = 0x80;
      await store.putFile(record(A, 9, { have, state: 'complete' }));
      const got = await store.getFile(A);
      check(got!.state === 'complete', 'state was not replaced');
      sameBytes(got!.have, have, 'replaced bitfield');
      check((await store.listFiles()).length === 1, 'replacing a record added a second one');
    },
  },
  {
    name: 'a record read back is a copy: changing it does not change the store',
    async run(make) {
      const store = await make();
      const rec = record(A, 8);
      await store.putFile(rec);
      rec.have[0] = 0xff; // the caller keeps mutating its object after saving
      const got = await store.getFile(A);
      check(got!.have[0] === 0, 'the store kept a reference to the caller\'s bitfield');
      got!.have[0] = 0xff;
      check((await store.getFile(A))!.have[0] === 0, 'changing a returned record changed the store');
    },
  },
  {
    name: 'pieces round-trip byte-exact, a short last piece included',
    async run(make) {
      const store = await make();
      await store.putFile(record(A, 3));
      const full = bytes(512 * 1024, 1);
      const last = bytes(1234, 2);
      await store.putPiece(A, 0, full);
      await store.putPiece(A, 2, last);
      sameBytes(await store.getPiece(A, 0), full, 'piece 0');
      sameBytes(await store.getPiece(A, 2), last, 'piece 2');
      check((await store.getPiece(A, 1)) === undefined, 'a piece never stored is not undefined');
    },
  },
  {
    name: 'a stored piece is a copy: the caller may reuse its buffer',
    async run(make) {
      const store = await make();
      const data = bytes(4096, 3);
      const copy = data.slice();
      await store.putPiece(A, 0, data);
      data.fill(0);
      sameBytes(await store.getPiece(A, 0), copy, 'piece after the caller overwrote its buffer');
    },
  },
  {
    name: 'a piece given as a view into a larger buffer stores only the view',
    async run(make) {
      const store = await make();
      const big = bytes(10_000, 4);
      const view = big.subarray(1000, 3000);
      await store.putPiece(A, 0, view);
      sameBytes(await store.getPiece(A, 0), big.slice(1000, 3000), 'piece stored from a subarray');
    },
  },
  {
    name: 'files are separate: the same piece index of two files holds two values',
    async run(make) {
      const store = await make();
      const a = bytes(1000, 5);
      const b = bytes(1000, 6);
      await store.putFile(record(A, 1));
      await store.putFile(record(B, 1));
      await store.putPiece(A, 0, a);
      await store.putPiece(B, 0, b);
      sameBytes(await store.getPiece(A, 0), a, 'file A piece 0');
      sameBytes(await store.getPiece(B, 0), b, 'file B piece 0');
      check((await store.listFiles()).map((f) => f.fileId).sort().join() === [A, B].join(), 'listFiles does not list both files');
    },
  },
  {
    name: 'deleteFile removes the record and every piece, and nothing else',
    async run(make) {
      const store = await make();
      await store.putFile(record(A, 2));
      await store.putFile(record(B, 1));
      await store.putPiece(A, 0, bytes(100, 7));
      await store.putPiece(A, 1, bytes(100, 8));
      await store.putPiece(B, 0, bytes(100, 9));
      await store.deleteFile(A);
      check((await store.getFile(A)) === undefined, 'the record survived deleteFile');
      check((await store.getPiece(A, 0)) === undefined && (await store.getPiece(A, 1)) === undefined, 'a piece survived deleteFile');
      check((await store.getFile(B)) !== undefined, 'deleteFile removed another file\'s record');
      sameBytes(await store.getPiece(B, 0), bytes(100, 9), 'the other file\'s piece');
      await store.deleteFile(A); // deleting twice is harmless
    },
  },
  {
    name: 'a second store over the same storage sees what the first wrote (a reload resumes)',
    async run(make) {
      const first = await make();
      const rec = record(A, 4, { state: 'paused' });
      rec.have[0] = 0b0110_0000;
      await first.putFile(rec);
      await first.putPiece(A, 1, bytes(777, 11));
      // make() gives an empty store; a "reload" is modelled by stores that expose reopen().
      const reopen = (first as PieceStore & { reopen?: () => Promise<PieceStore> }).reopen;
      if (!reopen) return;
      const second = await reopen.call(first);
      const got = await second.getFile(A);
      check(got?.state === 'paused', 'the reopened store lost the record');
      sameBytes(got!.have, rec.have, 'bitfield after reopening');
      sameBytes(await second.getPiece(A, 1), bytes(777, 11), 'piece after reopening');
    },
  },
  {
    name: 'storedPieces, where a store offers it, names exactly the pieces it holds (crash recovery trusts it)',
    async run(make) {
      const store = await make();
      if (!store.storedPieces) return;
      await store.putFile(record(A, 6));
      await store.putFile(record(B, 2));
      check((await store.storedPieces(A, 6)).length === 0, 'a file without pieces lists some');
      // Pieces beyond what the record's bitfield says: what a crash after they were stored leaves.
      for (const i of [4, 0, 2]) await store.putPiece(A, i, bytes(3000, 400 + i));
      await store.putPiece(B, 1, bytes(3000, 500));
      const listed = (await store.storedPieces(A, 6)).slice().sort((x, y) => x - y);
      check(listed.join() === '0,2,4', `storedPieces of A is [${listed.join()}], not [0,2,4]`);
      await store.deleteFile(A);
      check((await store.storedPieces(A, 6)).length === 0, 'a deleted file still lists pieces');
      check((await store.storedPieces(B, 2)).join() === '1', "another file's pieces changed");
    },
  },
  {
    name: 'progress saved while pieces land keeps the bitfield given to putFile, and every piece it claims reads back',
    async run(make) {
      const store = await make();
      await store.putFile(record(A, 8));
      const rec = record(A, 8);
      for (let i = 0; i < 4; i++) {
        await store.putPiece(A, i, bytes(3000, 600 + i));
        rec.have[0]! |= 0x80 >> i;
      }
      // A store may wait before it writes the record (the OPFS store flushes the pieces first):
      // the engine meanwhile sets more bits, which this save must not claim.
      const saving = store.putFile(rec);
      rec.have[0] = 0xff;
      const landing = store.putPiece(A, 4, bytes(3000, 604));
      await Promise.all([saving, landing]);
      const got = await store.getFile(A);
      check(got!.have[0] === 0xf0, `the saved bitfield is ${got!.have[0]!.toString(2)}, not 11110000 as given to putFile`);
      for (let i = 0; i < 4; i++) sameBytes(await store.getPiece(A, i), bytes(3000, 600 + i), `claimed piece ${i}`);
    },
  },
  {
    name: 'concurrent writes of many pieces all land',
    async run(make) {
      const store = await make();
      const n = 24;
      await Promise.all(Array.from({ length: n }, (_, i) => store.putPiece(A, i, bytes(3000, 100 + i))));
      for (let i = 0; i < n; i++) sameBytes(await store.getPiece(A, i), bytes(3000, 100 + i), `piece ${i} written concurrently`);
    },
  },
  {
    name: 'deleteFile called while piece writes are still landing leaves none of them',
    async run(make) {
      const store = await make();
      await store.putFile(record(A, 8));
      await store.putFile(record(B, 1));
      // Not awaited: a store that batches its writes still has some waiting when the delete comes.
      const writes = Array.from({ length: 8 }, (_, i) => store.putPiece(A, i, bytes(3000, 200 + i)));
      const other = store.putPiece(B, 0, bytes(3000, 300));
      await store.deleteFile(A);
      await Promise.all([...writes, other]);
      for (let i = 0; i < 8; i++) check((await store.getPiece(A, i)) === undefined, `piece ${i} was written after deleteFile and survived it`);
      sameBytes(await store.getPiece(B, 0), bytes(3000, 300), "the other file's piece written meanwhile");
    },
  },
];
