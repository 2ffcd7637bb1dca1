/**
 * What the transfer engine (client/engine.ts) keeps for one file, and the
 * DownloadInfo the UI and show_downloads read of it.
 */
import { Bitfield } from '../protocol/bitfield.ts';
import { PIECE_SIZE } from '../protocol/constants.ts';
import type { DownloadInfo, PieceStatus, ShareInput } from './engine-types.ts';
import type { PieceSource, PieceStore, StoredFile } from './ports.ts';
import type { Swarm } from './swarm.ts';
import { fileSlices } from '../protocol/batch.ts';
import { covers, wantedPieces } from './wanted.ts';

export interface Entry {
  record: StoredFile;
  have: Bitfield;
  swarm: Swarm | undefined;
  source: PieceSource | undefined;
  completion: { promise: Promise<void>; resolve: () => void };
  /** Coalesced record writes: one in flight, one pending at most. */
  saving: Promise<void> | undefined;
  saveAgain: boolean;
  changedTimer: ReturnType<typeof setTimeout> | undefined;
  /** A progress write waiting for its turn (engine #saveProgress). */
  progressTimer?: ReturnType<typeof setTimeout> | undefined;
  /** Pieces a preview's player needs next (engine.prioritise), handed to each new swarm. */
  priority?: { first: number; last: number } | undefined;
  /** The pieces of record.wanted (one file of a batch); undefined: all of them. */
  wanted: Bitfield | undefined;
}

export function createEntry(record: StoredFile): Entry {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const have = new Bitfield(record.meta.pieceHashes.length, record.have);
  const wanted = wantedPieces(record.meta, record.wanted);
  const entry: Entry = { record, have, swarm: undefined, source: undefined, completion: { promise, resolve }, saving: undefined, saveAgain: false, changedTimer: undefined, wanted };
  if (have.isComplete()) resolve();
  return entry;
}

export function infoOf(entry: Entry): DownloadInfo {
  const { meta } = entry.record;
  const count = meta.pieceHashes.length;
  const piecesDone = entry.have.count();
  let bytesDone = piecesDone * PIECE_SIZE;
  if (entry.have.has(count - 1)) bytesDone -= count * PIECE_SIZE - meta.size;
  const swarm = entry.swarm;
  const waiting = entry.record.state === 'downloading' && (swarm?.waiting() ?? false);
  const part = wantedInfo(entry);
  // Waiting, a piece begun is not on its way: shown missing, as it is.
  const inflight = !waiting && swarm ? swarm.inflightPieces() : new Set<number>();
  const pieces: PieceStatus[] = new Array(count);
  for (let i = 0; i < count; i++) pieces[i] = entry.have.has(i) ? 'done' : inflight.has(i) ? 'inflight' : 'missing';
  const stats = swarm?.stats();
  return {
    fileId: entry.record.fileId,
    name: meta.name,
    size: meta.size,
    groupId: meta.groupId,
    state: entry.record.state,
    shared: entry.record.origin === 'shared' || entry.record.source === 'original',
    needsSource: entry.record.source === 'original' && !entry.source,
    pieceCount: count,
    piecesDone,
    bytesDone,
    progress: part ? (part.size > 0 ? part.bytesDone / part.size : 1) : meta.size > 0 ? bytesDone / meta.size : 1,
    downloadSpeed: waiting ? 0 : (stats?.downloadSpeed ?? 0),
    uploadSpeed: stats?.uploadSpeed ?? 0,
    downloaded: stats?.downloaded ?? 0,
    uploaded: stats?.uploaded ?? 0,
    peers: stats?.peers ?? [],
    dropped: stats?.dropped ?? [],
    unreachable: stats?.unreachable ?? [],
    waiting,
    pieces,
    ...(meta.files ? { files: meta.files } : {}),
    ...(part ? { wanted: part } : {}),
  };
}

/** Of a batch fetched in part: the files asked for, their bytes and how many of them are held. */
function wantedInfo(entry: Entry): DownloadInfo['wanted'] {
  const { meta, wanted: paths } = entry.record;
  if (!paths || !meta.files) return undefined;
  const asked = new Set(paths);
  let size = 0;
  let bytesDone = 0;
  meta.files.forEach((f, index) => {
    if (!asked.has(f.path)) return;
    size += f.size;
    for (const s of fileSlices(meta.files!, index, meta.pieceSize)) if (entry.have.has(s.piece)) bytesDone += s.to - s.from;
  });
  return { paths: [...paths], size, bytesDone, done: covers(entry.have, entry.wanted) };
}

/**
 * Writes the entry's record; calls while a write is in flight coalesce into
 * one more write after it (while `current()` says the entry is still the
 * engine's), so a burst of verified pieces costs two writes, not one each.
 */
export function saveEntry(entry: Entry, store: PieceStore, current: () => boolean, onError: (message: string) => void): Promise<void> {
  if (entry.saving) {
    entry.saveAgain = true;
    return entry.saving;
  }
  entry.saving = (async () => {
    do {
      entry.saveAgain = false;
      entry.record.have = entry.have.bytes.slice();
      try {
        await store.putFile({ ...entry.record });
      } catch (err) {
        onError(`could not save progress: ${(err as Error).message}`);
      }
    } while (entry.saveAgain && current());
  })().finally(() => (entry.saving = undefined));
  return entry.saving;
}

/** Piece i of a file being shared, checked to have the length its place in the file gives it. */
export async function readExact(input: ShareInput, i: number): Promise<Uint8Array> {
  const data = await input.source.readPiece(i);
  const expected = Math.min(PIECE_SIZE, input.size - i * PIECE_SIZE);
  if (data.length !== expected) throw new Error(`piece ${i} of ${input.name} has ${data.length} bytes, not ${expected}`);
  return data;
}
