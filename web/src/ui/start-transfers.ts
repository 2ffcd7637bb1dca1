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
import { canPickFolder, saveBatchFile, saveBatchToFolder } from '../platform/save-batch.ts';
import { describeError } from '../../../client/commands/errors.ts';
import { servePreviews } from './preview-bridge.ts';
import { keptDestinations, pickDestination, StreamSave } from '../platform/stream-save.ts';
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
    if (info && !info.shared) {
      // A batch is saved as its files, from its row in the group (or the Downloads page, into a folder).
      const text = info.files
        ? `${info.name} (${info.files.length} files) is downloaded. Save it into a folder, or its files one by one, from its group's page.`
        : `${info.name} is downloaded. Save it from the Downloads page.`;
      notify('success', text, fileId);
    }
  });
  engine.on('satisfied', ({ fileId }) => {
    const info = engine.info(fileId);
    const paths = info?.wanted?.paths ?? [];
    if (info && paths.length > 0) {
      const what = paths.length === 1 ? paths[0]!.split('/').pop()! : `${paths.length} files of ${info.name}`;
      notify('success', `${what} is downloaded. Save it from ${info.name}'s list on its group's page.`, fileId);
    }
  });
  engine.on('peer_dropped', ({ fileId, userId: who }) =>
    notify('info', `Stopped taking ${nameOf(fileId)} from ${who}: their copy sent pieces that failed the check. Nothing bad was kept.`, fileId),
  );
  engine.on('stopped', ({ fileId, reason }) => notify('error', reason, fileId));
  engine.on('error', ({ fileId, message, code }) =>
    notify('error', `${fileId ? `${nameOf(fileId)}: ` : ''}${describeError(code ? { code, message } : new Error(message))}`, fileId),
  );
  await engine.start();
  // The service worker's /preview/<fileId> asks this page which pieces to fetch first (issue 13, item 9).
  const stopPreviews = servePreviews(engine, store);

  // Save where I choose, as it arrives (issue 13, item 10): one writer per file being saved so.
  const savers = new Map<string, StreamSave>();
  const saverFor = async (fileId: string, handle: FileSystemFileHandle): Promise<StreamSave> => {
    const record = await store.getFile(fileId);
    if (!record) throw new Error('this file is not stored in this tab');
    savers.get(fileId)?.close();
    const saver = new StreamSave(store, {
      fileId,
      size: record.meta.size,
      pieceSize: record.meta.pieceSize,
      pieceCount: record.meta.pieceHashes.length,
      has: (piece) => engine.hasPiece(fileId, piece),
    }, handle, changed);
    savers.set(fileId, saver);
    return saver;
  };
  engine.on('verified', ({ fileId, piece }) => savers.get(fileId)?.verified(piece));
  // After a reload: carry on writing where the browser still lets us (no dialog without a click).
  for (const [fileId, kept] of await keptDestinations(store, engine.downloads().map((d) => d.fileId))) {
    const saver = await saverFor(fileId, kept.handle).catch(() => undefined);
    if (kept.saved) saver?.markSaved();
    else await saver?.start(false).catch(() => undefined);
  }

  return {
    async share(groupId, file, onProgress, handle, signal) {
      // The worker reads the File itself, so hashing never holds the file in this page's memory.
      // It hashes the very snapshot the source serves from (file-source.ts), so the hashes describe it.
      const source = new BlobPieceSource(file, PIECE_SIZE);
      const pieceHashes = await platform.hasher.hashFile(source.file, PIECE_SIZE, {
        onProgress: (p) => onProgress('checking', p.totalBytes ? p.bytesDone / p.totalBytes : 1),
        ...(signal ? { signal } : {}),
      });
      if (!handle) onProgress('storing', 0);
      const { fileId } = await engine.share({
        source,
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
    async shareBatch(groupId, name, files, onProgress, signal) {
      // One Blob of the files one after another: the batch's one piece space (protocol/batch.ts), read from disk as it is hashed.
      const whole = new Blob(files.map((f) => f.file));
      const pieceHashes = await platform.hasher.hashFile(whole, PIECE_SIZE, {
        onProgress: (p) => onProgress('checking', p.totalBytes ? p.bytesDone / p.totalBytes : 1),
        ...(signal ? { signal } : {}),
      });
      onProgress('storing', 0);
      // No handle survives a reload for a batch's files: its pieces are copied into the store.
      await engine.share({
        source: new BlobPieceSource(whole, PIECE_SIZE),
        name,
        size: whole.size,
        groupId,
        keep: 'store',
        pieceHashes,
        files: files.map((f) => ({ path: f.path, size: f.file.size })),
        onStored: (stored, total) => onProgress('storing', stored / total),
        ...(signal ? { signal } : {}),
      });
    },
    async saveBatch(fileId, what) {
      const record = await store.getFile(fileId);
      if (!record) throw new Error('this batch is not stored in this tab');
      // One file needs only its own pieces (one file of a batch can be downloaded alone); the folder needs them all.
      if (what === 'folder' && record.state !== 'complete') throw new Error('this batch is not complete yet');
      if (what === 'folder') await saveBatchToFolder(store, record);
      else await saveBatchFile(store, record, what.path);
    },
    canPickFolder: canPickFolder(),
    download: (file: FileSummary, paths?: string[]) => engine.download(file.fileId, paths ? { paths } : {}),
    pause: (fileId) => engine.pause(fileId),
    resume: (fileId) => engine.resume(fileId),
    async remove(fileId) {
      await savers.get(fileId)?.forget();
      savers.delete(fileId);
      await engine.remove(fileId);
    },
    async save(fileId, method) {
      const record = await store.getFile(fileId);
      if (!record || record.state !== 'complete') throw new Error('this file is not complete yet');
      // A batch is saved as its files, never as one file of them all run together.
      if (record.meta.files) {
        if (!canPickFolder()) throw new Error(`${record.meta.name} holds ${record.meta.files.length} files: save them one by one from its group's page`);
        await saveBatchToFolder(store, record);
        return;
      }
      await saveStoredFile(store, record, method);
    },
    canPickSaveLocation: canStreamToDisk(),
    async saveAsItArrives(fileId, again) {
      const kept = savers.get(fileId);
      if (again && kept) return kept.start(true);
      const info = engine.info(fileId);
      if (!info) throw new Error('this file is not downloading in this tab');
      // A batch's files run together in its pieces: it is saved as its files, into a folder, once complete.
      if (info.files) throw new Error(`${info.name} holds ${info.files.length} files: save them into a folder from its group's page once it is complete`);
      const handle = await pickDestination(info.name);
      await (await saverFor(fileId, handle)).start(true);
    },
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
    snapshot: () => engine.downloads().map((d) => withSaveTo(toView(d), savers.get(d.fileId))),
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
      for (const saver of savers.values()) saver.close();
      savers.clear();
      engine.close();
    },
  };
}

function withSaveTo(view: DownloadView, saver: StreamSave | undefined): DownloadView {
  if (!saver) return view;
  return { ...view, saveTo: { name: saver.name, status: saver.status, written: saver.written, ...(saver.error ? { error: saver.error } : {}) } };
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
    ...(d.files ? { files: d.files } : {}),
    ...(d.wanted ? { wanted: d.wanted } : {}),
  };
}
