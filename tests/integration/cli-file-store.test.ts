/** The command line's file-system PieceStore passes the shared PieceStore contract, and keeps half-fetched files under a temporary name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pieceStoreContract } from '../helpers/piece-store-contract.ts';
import { tempDir } from '../helpers/tracker.ts';
import { FilePieceStore, PART_SUFFIX } from '../../cli/platform/file-store.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import type { StoredFile } from '../../client/ports.ts';

for (const c of pieceStoreContract) {
  test(`file store: ${c.name}`, async (t) => {
    const dir = await tempDir(t, 'meshdrop-store-');
    const stores: FilePieceStore[] = [];
    t.after(() => Promise.all(stores.map((s) => s.close())));
    await c.run(async () => {
      const s = new FilePieceStore(join(dir, String(stores.length)));
      stores.push(s);
      return s;
    });
  });
}

test('a download is written at its destination under a part name, renamed when complete', async (t) => {
  const dir = await tempDir(t, 'meshdrop-store-');
  const store = new FilePieceStore(join(dir, 'state'));
  t.after(() => store.close());
  const dest = join(dir, 'out.bin');
  const size = PIECE_SIZE + 10;
  const record: StoredFile = {
    fileId: 'ab'.repeat(20),
    meta: { groupId: 'g', name: 'out.bin', size, pieceSize: PIECE_SIZE, pieceHashes: ['0'.repeat(40), '1'.repeat(40)] },
    have: new Uint8Array(1),
    state: 'downloading',
    source: 'store',
    origin: 'downloaded',
    addedAt: 1,
  };
  store.assignPath(record.fileId, dest, { original: false });
  await store.putFile(record);
  await store.putPiece(record.fileId, 1, new Uint8Array(10).fill(7));
  await assert.rejects(access(dest), 'nothing under the real name while incomplete');
  await access(dest + PART_SUFFIX);
  await store.putPiece(record.fileId, 0, new Uint8Array(PIECE_SIZE).fill(3));
  await store.putFile({ ...record, have: new Uint8Array([0xc0]), state: 'complete' });
  await assert.rejects(access(dest + PART_SUFFIX));
  const bytes = await readFile(dest);
  assert.equal(bytes.length, size);
  assert.equal(bytes[0], 3);
  assert.equal(bytes[size - 1], 7);
  // Reopened, the finished file is still served from its destination; deleting the record keeps the user's file.
  const again = await store.reopen();
  assert.equal((await again.getPiece(record.fileId, 1))?.[0], 7);
  await again.deleteFile(record.fileId);
  await access(dest);
  await again.close();
});
