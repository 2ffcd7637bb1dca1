/**
 * The page's half of preview while downloading (issue 13, item 9). The
 * service worker (web/build/sw-body.js) answers a player's range requests for
 * /preview/<fileId> with the bytes this page reads from its piece store; it asks this page, over
 * a MessageChannel per question:
 *
 * - `open`: is this file downloading here, and its size, piece size, type
 *   and name? Answered at once.
 * - `need` piece N: fetch pieces N..N+PREVIEW_AHEAD_PIECES first (the
 *   picker's priority window, client/picker.ts), and answer once piece N is
 *   verified and stored. A player that reads on moves the window with it.
 *
 * - `read` piece N: the verified piece's bytes, from this page's store
 *   (platform/piece-store.ts: OPFS, or IndexedDB for files kept there).
 *   The worker reads no store itself: an OPFS file changes under any
 *   snapshot while it downloads, and which store holds a file is decided
 *   only at its first piece.
 */
import type { TransferEngine } from '../../../client/engine.ts';
import { PREVIEW_AHEAD_PIECES } from '../../../protocol/constants.ts';
import type { IdbPieceStore } from '../platform/idb-store.ts';
import { mimeOf } from './preview.ts';

interface Question {
  type: 'meshdrop-preview';
  op: 'open' | 'need' | 'read';
  fileId: string;
  piece?: number;
}

/** Starts answering the service worker for this engine's files; returns the stop. */
export function servePreviews(engine: TransferEngine, store: IdbPieceStore, container: ServiceWorkerContainer | undefined = globalThis.navigator?.serviceWorker): () => void {
  if (!container) return () => undefined;
  /** Pieces asked for and not yet held, per file: their answers. */
  const waiting = new Map<string, Map<number, ((answer: object) => void)[]>>();
  const offVerified = engine.on('verified', ({ fileId, piece }) => {
    const files = waiting.get(fileId);
    const replies = files?.get(piece);
    if (!replies) return;
    files!.delete(piece);
    for (const reply of replies) reply({ ok: true });
  });
  // A file removed while a player waits on it: the player hears so rather than waiting on.
  const offChanged = engine.on('changed', ({ fileId }) => {
    const files = waiting.get(fileId);
    if (!files || engine.info(fileId)) return;
    waiting.delete(fileId);
    for (const replies of files.values()) for (const reply of replies) reply({ error: 'the download was removed' });
  });
  const onMessage = async (event: MessageEvent) => {
    const q = event.data as Question | undefined;
    const port = event.ports[0];
    if (q?.type !== 'meshdrop-preview' || !port) return;
    const reply = (answer: object) => port.postMessage(answer);
    const info = engine.info(q.fileId);
    if (!info) return reply({ error: 'this file is not downloading in this tab' });
    if (q.op === 'open') {
      const record = await store.getFile(q.fileId);
      if (!record) return reply({ error: 'this file is not stored in this tab' });
      return reply({ size: info.size, pieceSize: record.meta.pieceSize, mime: mimeOf(info.name), name: info.name });
    }
    const piece = q.piece ?? -1;
    if (!Number.isInteger(piece) || piece < 0 || piece >= info.pieceCount) return reply({ error: `no piece ${piece}` });
    if (q.op === 'read') {
      const bytes = await store.getPiece(q.fileId, piece).catch(() => undefined);
      if (!bytes) return reply({ error: `piece ${piece} is not stored` });
      return port.postMessage({ bytes }, [bytes.buffer]);
    }
    engine.prioritise(q.fileId, { first: piece, last: piece + PREVIEW_AHEAD_PIECES });
    if (engine.hasPiece(q.fileId, piece)) return reply({ ok: true });
    const files = waiting.get(q.fileId) ?? new Map<number, ((answer: object) => void)[]>();
    waiting.set(q.fileId, files);
    files.set(piece, [...(files.get(piece) ?? []), reply]);
  };
  const listener = (event: MessageEvent) => void onMessage(event);
  container.addEventListener('message', listener);
  container.startMessages?.();
  return () => {
    offVerified();
    offChanged();
    container.removeEventListener('message', listener);
    for (const files of waiting.values()) for (const replies of files.values()) for (const reply of replies) reply({ error: 'signed out' });
    waiting.clear();
  };
}
