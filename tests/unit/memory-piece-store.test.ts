/** The memory PieceStore passes the shared PieceStore contract (the same cases IndexedDB must pass in Chromium). */
import { test } from 'node:test';
import { pieceStoreContract } from '../helpers/piece-store-contract.ts';
import { MemoryPieceStore } from '../helpers/memory-platform.ts';

for (const c of pieceStoreContract) {
  test(`memory store: ${c.name}`, () => c.run(async () => new MemoryPieceStore()));
  test(`memory store listing its pieces: ${c.name}`, () => c.run(async () => new MemoryPieceStore({ listsStored: true })));
}
