/**
 * The piece indices a user's browser holds now, of every file, wherever the
 * app keeps them (web/src/platform/piece-store.ts): IndexedDB keys
 * ['piece', fileId, index] in `meshdrop-<user>`, and the OPFS index files
 * (`<fileId>.index`, a u32 length per piece, 0: not stored) in the
 * directory of the same name. Read from the page, as a person's browser
 * holds them; sorted, a piece held in both counted once.
 */
import type { Page } from 'playwright-core';

export function storedPieces(page: Page, user: string): Promise<number[]> {
  return page.evaluate(async (name) => {
    const held = new Set<number>();
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const req = open.result.transaction('kv', 'readonly').objectStore('kv').getAllKeys(IDBKeyRange.bound(['piece'], ['piece', []]));
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          open.result.close();
          resolve(req.result);
        };
      };
    });
    for (const k of keys as [string, string, number][]) held.add(k[2]);
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(name).catch(() => undefined);
    if (dir) {
      for await (const [entry, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        if (!entry.endsWith('.index')) continue;
        const bytes = await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer();
        const view = new DataView(bytes);
        for (let i = 0; i * 4 + 4 <= bytes.byteLength; i++) if (view.getUint32(i * 4, true) > 0) held.add(i);
      }
    }
    return [...held].sort((a, b) => a - b);
  }, `meshdrop-${user}`);
}
