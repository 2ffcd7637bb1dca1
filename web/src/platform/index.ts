/**
 * The browser platform for the client core, built in one place: IndexedDB
 * piece store, hashing worker, WebRTC connector, WebSocket factory.
 */
import type { SocketFactory, SocketLike } from '../../../client/ports.ts';
import { WorkerHasher } from './hasher.ts';
import { IdbPieceStore } from './idb-store.ts';
import { BrowserPeerConnector } from './rtc.ts';

export interface BrowserPlatform {
  store: IdbPieceStore;
  hasher: WorkerHasher;
  connector: BrowserPeerConnector;
  /** For TrackerClient: the browser's own WebSocket. */
  createSocket: SocketFactory;
  /** Stops the hashing worker; peer connections close with the swarms that own them. */
  close(): void;
}

export interface BrowserPlatformOptions {
  /** IndexedDB database name (one per profile by default; tests may use several). */
  dbName?: string;
}

export function createBrowserPlatform(options: BrowserPlatformOptions = {}): BrowserPlatform {
  const store = new IdbPieceStore(options.dbName);
  const hasher = new WorkerHasher();
  const connector = new BrowserPeerConnector();
  return {
    store,
    hasher,
    connector,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    close: () => hasher.terminate(),
  };
}

/** The tracker's WebSocket URL for a page it served (the tracker serves the app and /ws on one port). */
export function trackerUrlOf(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
