/**
 * Test-only page (web/harness.html): exposes the client core and the browser
 * platform as `window.meshdropHarness`, so end-to-end tests and the bench can
 * drive real transfers in real Chromium before, and beside, the UI. Never
 * linked from the app.
 */
import { TrackerClient } from '../../client/tracker.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { createBrowserPlatform, pieceStoreOf, trackerUrlOf } from '../../web/src/platform/index.ts';
import { BlobPieceSource } from '../../web/src/platform/file-source.ts';
import { IdbPieceStore } from '../../web/src/platform/idb-store.ts';
import { BrowserPieceStore } from '../../web/src/platform/piece-store.ts';
import { saveStoredFile, storedFileBlob } from '../../web/src/platform/save.ts';
import { saveBatchFile } from '../../web/src/platform/save-batch.ts';
import { rawChannelBench } from './harness-raw.ts';
import { pieceStoreContract } from '../helpers/piece-store-contract.ts';
import { HarnessSession, type SessionOptions } from './harness-session.ts';

const harness = {
  PIECE_SIZE,
  Bitfield,
  TrackerClient,
  BlobPieceSource,
  createBrowserPlatform,
  saveStoredFile,
  storedFileBlob,
  saveBatchFile,
  rawChannelBench,
  /** The app's piece store of a user (bench/piece-store.ts writes through it). */
  pieceStoreOf,
  /** The stores themselves, for tests that write pieces the old way (IndexedDB only) or force a backend. */
  IdbPieceStore,
  BrowserPieceStore,
  trackerUrl: trackerUrlOf(location),
  /** The file chosen in the page's <input type=file> (tests fill it with setInputFiles). */
  pickedFile(): File {
    const file = (document.getElementById('file') as HTMLInputElement).files?.[0];
    if (!file) throw new Error('no file chosen in #file');
    return file;
  },
  /**
   * Runs the shared PieceStore acceptance suite (tests/helpers/piece-store-contract.ts)
   * in this page, against the IndexedDB store as it was (`indexeddb`) or
   * the app's store (`app`: pieces in OPFS where this browser has it): a
   * fresh database per case (a user of its own, named as the app names
   * them), and `reopen()` opens the same storage again, as a reload would.
   */
  async runPieceStoreContract(backend: 'indexeddb' | 'app' = 'indexeddb'): Promise<{ name: string; error?: string }[]> {
    const results: { name: string; error?: string }[] = [];
    let n = 0;
    for (const c of pieceStoreContract) {
      const make = async () => {
        const user = `contract-${backend}-${n++}`;
        const open = () => (backend === 'app' ? pieceStoreOf(user) : new IdbPieceStore(`meshdrop-${user}`));
        const store = open();
        await store.clear();
        return Object.assign(store, { reopen: async () => open() });
      };
      try {
        await c.run(make);
        results.push({ name: c.name });
      } catch (err) {
        results.push({ name: c.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return results;
  },
  /** This page's person: set by startSession (tests reach the engine through it). */
  session: undefined as HarnessSession | undefined,
  async startSession(options: SessionOptions): Promise<HarnessSession> {
    harness.session = await HarnessSession.start(options);
    return harness.session;
  },
  /** The session, or a clear error when a test forgot to start one. */
  s(): HarnessSession {
    if (!harness.session) throw new Error('no session: call meshdropHarness.startSession first');
    return harness.session;
  },
};

export type Harness = typeof harness;
declare global {
  interface Window {
    meshdropHarness: Harness;
  }
}
window.meshdropHarness = harness;
