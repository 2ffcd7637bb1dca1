/**
 * PieceStore on the file system, for the command line (client/ports.ts; it
 * passes tests/helpers/piece-store-contract.ts).
 *
 * A download's verified pieces are written straight into its destination at
 * their offsets, under a temporary name (`<dest>.meshdrop-part`) until the
 * record says 'complete': then the file is flushed and renamed into place, so
 * a half-fetched file never sits under its real name. A shared original is
 * never written, moved or deleted here: the record only remembers its path.
 *
 * Beside the bytes, each file has two small sidecars in the store's own
 * directory: `<fileId>.meta.json` (the metadata, piece hashes included,
 * written once) and `<fileId>.json` (bitfield, state, path: rewritten as
 * pieces arrive, atomically by rename, so a kill -9 leaves the old or the new
 * one, never half of one). Each piece written is listed there before
 * putPiece resolves (`written`), so the engine can save its record's
 * progress at most once a second and, after a kill -9, find the pieces
 * written since (PieceStore.storedPieces, client/recover-stored.ts).
 */
import { mkdir, open, readFile, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { base64ToBytes, bytesToBase64 } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import type { FileMeta } from '../../protocol/tracker.ts';
import type { PieceStore, StoredFile } from '../../client/ports.ts';

/** The suffix of a download's file until it is complete. */
export const PART_SUFFIX = '.meshdrop-part';

/** What `<fileId>.json` holds. */
interface Sidecar {
  version: 1;
  fileId: string;
  /** The record without its metadata (that is in the .meta.json) and with `have` as base64. */
  record?: Omit<StoredFile, 'meta' | 'have'> & { have: string };
  /** Where the bytes are: the destination (downloads) or the shared original. */
  path: string;
  /** Bytes are still under `path + PART_SUFFIX`. */
  partial: boolean;
  /** Pieces written here (base64 bitfield, growing), and lengths of pieces not of the expected length. */
  written: string;
  lengths: Record<string, number>;
}

interface Entry {
  fileId: string;
  meta: FileMeta | undefined;
  metaText: string | undefined;
  record: Omit<StoredFile, 'meta'> | undefined;
  path: string;
  partial: boolean;
  written: Set<number>;
  lengths: Map<number, number>;
  handle: Promise<FileHandle> | undefined;
  saving: Promise<void> | undefined;
  saveAgain: boolean;
}

export class FilePieceStore implements PieceStore {
  readonly #dir: string;
  #entries = new Map<string, Entry>();
  #loaded: Promise<void> | undefined;
  /** Paths given before the record exists (a download's destination, a share's original). */
  #assigned = new Map<string, { path: string; original: boolean }>();

  /** `dir` holds the sidecars (and the bytes of files given no path of their own). */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A second store over the same directory, as after a restart (the contract's reload case). */
  async reopen(): Promise<FilePieceStore> {
    await this.close();
    return new FilePieceStore(this.#dir);
  }

  /**
   * Where a file's bytes go (a download) or are (a shared original), to be
   * called before the engine first saves its record. Without it, the bytes go
   * into the store's own directory.
   */
  assignPath(fileId: string, path: string, options: { original: boolean }): void {
    const entry = this.#entries.get(fileId);
    if (entry && !entry.record) {
      entry.path = path;
      entry.partial = !options.original;
    }
    this.#assigned.set(fileId, { path, original: options.original });
  }

  /** The path of a file's bytes as a person sees it (the destination, not the part file). */
  async pathOf(fileId: string): Promise<string | undefined> {
    await this.#load();
    return this.#entries.get(fileId)?.path;
  }

  async listFiles(): Promise<StoredFile[]> {
    await this.#load();
    return [...this.#entries.values()].filter((e) => e.record && e.meta).map((e) => this.#copy(e));
  }

  async getFile(fileId: string): Promise<StoredFile | undefined> {
    await this.#load();
    const e = this.#entries.get(fileId);
    return e?.record && e.meta ? this.#copy(e) : undefined;
  }

  async putFile(file: StoredFile): Promise<void> {
    // The record as it is at the call: the caller may change its object while we load.
    const { meta: _meta, ...rest } = file;
    const have = file.have.slice();
    const metaText = JSON.stringify(file.meta);
    await this.#load();
    const e = this.#entry(file.fileId);
    if (metaText !== e.metaText) {
      await atomicWrite(join(this.#dir, `${file.fileId}.meta.json`), metaText);
      e.meta = JSON.parse(metaText) as FileMeta;
      e.metaText = metaText;
    }
    e.record = { ...rest, have };
    if (file.state === 'complete' && e.partial && file.source === 'store') await this.#finish(e);
    await this.#save(e);
  }

  async putPiece(fileId: string, index: number, data: Uint8Array): Promise<void> {
    await this.#load();
    const e = this.#entry(fileId);
    const fh = await this.#handle(e);
    await fh.write(data, 0, data.length, index * (e.meta?.pieceSize ?? PIECE_SIZE));
    e.written.add(index);
    if (data.length !== expectedLength(e.meta, index)) e.lengths.set(index, data.length);
    else e.lengths.delete(index);
    await this.#save(e);
  }

  async getPiece(fileId: string, index: number): Promise<Uint8Array | undefined> {
    await this.#load();
    const e = this.#entries.get(fileId);
    if (!e || !e.written.has(index)) return undefined;
    const length = e.lengths.get(index) ?? expectedLength(e.meta, index);
    if (length === undefined) return undefined;
    const fh = await this.#handle(e);
    const out = new Uint8Array(length);
    const { bytesRead } = await fh.read(out, 0, length, index * (e.meta?.pieceSize ?? PIECE_SIZE));
    return bytesRead === length ? out : undefined;
  }

  /**
   * Forgets the file. An unfinished download's part file goes (nothing
   * half-written is left behind); a finished download at its destination and
   * a shared original are the user's files and stay.
   */
  async deleteFile(fileId: string): Promise<void> {
    await this.#load();
    const e = this.#entries.get(fileId);
    this.#assigned.delete(fileId);
    if (!e) return;
    this.#entries.delete(fileId);
    await e.saving?.catch(() => undefined);
    await closeHandle(e);
    if (e.partial) await rm(e.path + PART_SUFFIX, { force: true });
    else if (e.path === this.#defaultPath(fileId)) await rm(e.path, { force: true });
    await rm(join(this.#dir, `${fileId}.json`), { force: true });
    await rm(join(this.#dir, `${fileId}.meta.json`), { force: true });
  }

  /**
   * The pieces written for this file (PieceStore.storedPieces): listed in the
   * sidecar before putPiece resolves, so after a kill -9 the engine finds the
   * ones its record does not mark yet, and checks each against its hash.
   */
  async storedPieces(fileId: string, count: number): Promise<number[]> {
    await this.#load();
    const e = this.#entries.get(fileId);
    return e ? [...e.written].filter((i) => i < count) : [];
  }

  /** Resolves once the file's record says complete and its bytes carry their real name. */
  async settled(fileId: string): Promise<void> {
    for (;;) {
      const e = this.#entries.get(fileId);
      if (!e) return;
      await e.saving?.catch(() => undefined);
      if (e.record?.state === 'complete' && !e.partial && !e.saving) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits for pending sidecar writes and closes open files. */
  async close(): Promise<void> {
    for (const e of this.#entries.values()) {
      await e.saving?.catch(() => undefined);
      await closeHandle(e);
    }
  }

  // ------------------------------------------------------------ internals

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(this.#dir)) {
        if (!/^[0-9a-f]+\.json$/.test(name)) continue;
        try {
          const side = JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as Sidecar;
          const metaText = await readFile(join(this.#dir, `${side.fileId}.meta.json`), 'utf8').catch(() => undefined);
          const e = this.#blank(side.fileId);
          e.path = side.path;
          e.partial = side.partial;
          e.written = bitsToSet(base64ToBytes(side.written));
          e.lengths = new Map(Object.entries(side.lengths).map(([k, v]) => [Number(k), v]));
          if (metaText) {
            e.meta = JSON.parse(metaText) as FileMeta;
            e.metaText = metaText;
          }
          if (side.record) e.record = { ...side.record, have: base64ToBytes(side.record.have) };
          this.#entries.set(e.fileId, e);
        } catch {
          // A sidecar that cannot be read is skipped, not fatal: the file is simply not resumed.
        }
      }
    })();
    return this.#loaded;
  }

  #blank(fileId: string): Entry {
    const assigned = this.#assigned.get(fileId);
    return {
      fileId,
      meta: undefined,
      metaText: undefined,
      record: undefined,
      path: assigned?.path ?? this.#defaultPath(fileId),
      partial: assigned ? !assigned.original : false,
      written: new Set(),
      lengths: new Map(),
      handle: undefined,
      saving: undefined,
      saveAgain: false,
    };
  }

  #entry(fileId: string): Entry {
    let e = this.#entries.get(fileId);
    if (!e) {
      e = this.#blank(fileId);
      this.#entries.set(fileId, e);
    }
    return e;
  }

  #defaultPath(fileId: string): string {
    return join(this.#dir, `${fileId}.data`);
  }

  #copy(e: Entry): StoredFile {
    return { ...e.record!, have: e.record!.have.slice(), meta: JSON.parse(e.metaText!) as FileMeta };
  }

  #handle(e: Entry): Promise<FileHandle> {
    e.handle ??= (async () => {
      const path = e.partial ? e.path + PART_SUFFIX : e.path;
      // Read-only for a shared original (never written here), read-write otherwise, created if missing.
      if (e.record?.source === 'original') return open(path, 'r');
      try {
        return await open(path, 'r+');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        return open(path, 'w+', 0o644);
      }
    })();
    e.handle.catch(() => (e.handle = undefined));
    return e.handle;
  }

  /** The download is complete: flush its bytes and give the file its real name. */
  async #finish(e: Entry): Promise<void> {
    // An empty file has no piece to write, so nothing has created it yet: open (create) it here.
    // Only then: a missing part file of a larger download may mean it was already renamed.
    if (!e.handle && e.meta?.size === 0) await this.#handle(e);
    const handle = e.handle && (await e.handle.catch(() => undefined));
    if (handle) {
      await handle.sync();
      if (e.meta) await handle.truncate(e.meta.size);
    }
    await closeHandle(e);
    try {
      await rename(e.path + PART_SUFFIX, e.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    e.partial = false;
  }

  /** Writes the sidecar; concurrent calls coalesce into one write after the current one. */
  #save(e: Entry): Promise<void> {
    if (e.saving) {
      e.saveAgain = true;
      return e.saving;
    }
    e.saving = (async () => {
      do {
        e.saveAgain = false;
        const side: Sidecar = {
          version: 1,
          fileId: e.fileId,
          record: e.record && { ...e.record, have: bytesToBase64(e.record.have) },
          path: e.path,
          partial: e.partial,
          written: bytesToBase64(setToBits(e.written)),
          lengths: Object.fromEntries(e.lengths),
        };
        await atomicWrite(join(this.#dir, `${e.fileId}.json`), JSON.stringify(side));
      } while (e.saveAgain && this.#entries.get(e.fileId) === e);
    })().finally(() => (e.saving = undefined));
    return e.saving;
  }
}

/** The length a piece has in its file: PIECE_SIZE, the last one shorter; unknown without metadata. */
function expectedLength(meta: FileMeta | undefined, index: number): number | undefined {
  if (!meta) return undefined;
  const left = meta.size - index * meta.pieceSize;
  return left <= 0 ? undefined : Math.min(meta.pieceSize, left);
}

async function closeHandle(e: Entry): Promise<void> {
  const handle = e.handle;
  e.handle = undefined;
  if (handle) await (await handle.catch(() => undefined))?.close().catch(() => undefined);
}

let tmpCounter = 0;
/** Write to a temporary name, then rename: readers and a restart see the old or the new text, never half. */
async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

function setToBits(set: Set<number>): Uint8Array {
  let max = -1;
  for (const i of set) if (i > max) max = i;
  const out = new Uint8Array(Math.ceil((max + 1) / 8));
  for (const i of set) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

function bitsToSet(bytes: Uint8Array): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) out.add(i);
  return out;
}
