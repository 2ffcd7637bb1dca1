/**
 * After a crash or a closed tab: the pieces a download's store holds that
 * its record's bitfield does not (stored after the record was last saved,
 * PieceStore.storedPieces). Each is read back and checked against its hash
 * before it counts as held: a piece whose bytes did not all reach the disk
 * is fetched again, never served.
 */
import type { Bitfield } from '../protocol/bitfield.ts';
import type { FileMeta } from '../protocol/tracker.ts';
import type { Hasher, PieceStore } from './ports.ts';

/** Marks in `have` every stored piece that checks out; returns how many it added. Never rejects. */
export async function recoverStored(store: PieceStore, hasher: Hasher, fileId: string, meta: FileMeta, have: Bitfield): Promise<number> {
  if (!store.storedPieces) return 0;
  const count = meta.pieceHashes.length;
  const stored = await store.storedPieces(fileId, count).catch(() => [] as number[]);
  let added = 0;
  for (const i of stored) {
    if (!Number.isInteger(i) || i < 0 || i >= count || have.has(i)) continue;
    const data = await store.getPiece(fileId, i).catch(() => undefined);
    if (!data) continue;
    const hash = await hasher.sha1(data).catch(() => undefined);
    if (hash !== meta.pieceHashes[i]) continue;
    have.set(i);
    added++;
  }
  return added;
}
