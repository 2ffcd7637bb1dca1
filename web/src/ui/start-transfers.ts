/**
 * The transfer engine (client/engine.ts) on the browser platform
 * (web/src/platform/), seen through the UI's TransferPort. One engine per
 * signed-in session, on that user's own piece store (platform.storeFor), so
 * two people using one browser never see or resume each other's files.
 */
import { TransferEngine, type DownloadInfo } from '../../../client/engine.ts';
import { PIECE_SIZE } from '../../../protocol/constants.ts';
import type { FileSummary } from '../../../protocol/tracker.ts';
import { BlobPieceSource, keepFileHandle, reopenFileSource } from '../platform/file-source.ts';
import type { BrowserPlatform } from '../platform/index.ts';
import { canStreamToDisk, saveStoredFile } from '../platform/save.ts';
import { describeError } from '../../../client/commands/errors.ts';
import { servePreviews } from './preview-bridge.ts';
import type { TransferPort } from './transfer-port.ts';
import type { DownloadView } from './transfers.svelte.ts';

export async function startTransfers(platform: BrowserPlatform, userId: string): Promise<TransferPort> {
  const store = platform.storeFor(userId);
  const engine = new TransferEngine({
    tracker: platform.tracker,
    store,
    hasher: platform.hasher,
    connector: platform.connector,
    // After a reload: serve a shared original again if the browser still lets us read it without asking.
    openSource: async (file) => {
      const result = await reopenFileSource(store, file.fileId, PIECE_SIZE, false);
      return result.status === 'ready' ? result.source : undefined;
    },
  });

  const changeListeners = new Set<() => void>();
  const noticeListeners = new Set<Parameters<TransferPort['onNotice']>[0]>();
  // The engine already throttles 'changed' while bytes flow (CHANGED_THROTTLE_MS), so each one re-renders.
  const changed = () => {
    for (const l of changeListeners) l();
  };
  const notify: Parameters<TransferPort['onNotice']>[0] = (kind, text, fileId) => {
    for (const l of noticeListeners) l(kind, text, fileId);
  };
  const nameOf = (fileId: string) => engine.info(fileId)?.name ?? 'a file';

  engine.on('changed', changed);
  engine.on('complete', ({ fileId }) => {
    const info = engine.info(fileId);
    if (info && !info.shared) notify('success', `${info.name} is downloaded. Save it from the Downloads page.`, fileId);
  });
  engine.on('peer_dropped', ({ fileId, userId: who }) =>
    notify('info', `Stopped taking ${nameOf(fileId)} from ${who}: their copy sent pieces that failed the check. Nothing bad was kept.`, fileId),
  );
  engine.on('error', ({ fileId, message, code }) =>
    notify('error', `${fileId ? `${nameOf(fileId)}: ` : ''}${describeError(code ? { code, message } : new Error(message))}`, fileId),
  );
  await engine.start();
  // The service worker's /preview/<fileId> asks this page which pieces to fetch first (issue 13, item 9).
  const stopPreviews = servePreviews(engine, store);

  return {
    async share(groupId, file, onProgress, handle, signal) {
      // The worker reads the File itself, so hashing never holds the file in this page's memory.
      const pieceHashes = await platform.hasher.hashFile(file, PIECE_SIZE, {
        onProgress: (p) => onProgress('checking', p.totalBytes ? p.bytesDone / p.totalBytes : 1),
        ...(signal ? { signal } : {}),
      });
      if (!handle) onProgress('storing', 0);
      const { fileId } = await engine.share({
        source: new BlobPieceSource(file, PIECE_SIZE),
        name: file.name,
        size: file.size,
        groupId,
        keep: handle ? 'original' : 'store',
        pieceHashes,
        onStored: (stored, total) => onProgress('storing', stored / total),
        ...(signal ? { signal } : {}),
      });
      if (handle) await keepFileHandle(store, fileId, handle);
    },
    download: (file: FileSummary) => engine.download(file.fileId),
    pause: (fileId) => engine.pause(fileId),
    resume: (fileId) => engine.resume(fileId),
    remove: (fileId) => engine.remove(fileId),
    async save(fileId, method) {
      const record = await store.getFile(fileId);
      if (!record || record.state !== 'complete') throw new Error('this file is not complete yet');
      await saveStoredFile(store, record, method);
    },
    canPickSaveLocation: canStreamToDisk(),
    async reattach(fileId) {
      const result = await reopenFileSource(store, fileId, PIECE_SIZE, true);
      if (result.status === 'ready') await engine.attachSource(fileId, result.source);
      else if (result.status === 'needs-permission') throw new Error(`reading ${result.name} was not allowed`);
      else throw new Error(result.reason);
    },
    setLimits: (limits) => engine.setLimits(limits),
    get limits() {
      const { downloadBytesPerSecond, uploadBytesPerSecond } = engine.limits;
      // The engine says Infinity for "no cap"; the UI says 0.
      const shown = (n: number) => (Number.isFinite(n) ? n : 0);
      return { downloadBytesPerSecond: shown(downloadBytesPerSecond), uploadBytesPerSecond: shown(uploadBytesPerSecond) };
    },
    snapshot: () => engine.downloads().map(toView),
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onNotice(listener) {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    close() {
      changeListeners.clear();
      noticeListeners.clear();
      stopPreviews();
      engine.close();
    },
  };
}

function toView(d: DownloadInfo): DownloadView {
  return {
    fileId: d.fileId,
    groupId: d.groupId,
    name: d.name,
    size: d.size,
    state: d.state,
    shared: d.shared,
    needsSource: d.needsSource,
    bytesDone: d.bytesDone,
    speed: d.downloadSpeed,
    peers: d.peers
      .filter((p) => p.connected)
      .map((p) => ({ peerId: p.peerId, userId: p.userId, speed: p.downloadSpeed, bytes: p.downloaded, ...(p.path ? { path: p.path } : {}) })),
    unreachable: d.unreachable,
    waiting: d.waiting,
    servingTo: d.state === 'complete' ? d.peers.filter((p) => p.connected && p.pieces < d.pieceCount).map((p) => p.userId) : [],
    pieces: d.pieces,
  };
}
