/**
 * The browser's composition root: the client core's parts for a tab, built
 * here alone, for the app (web/src/main.ts) and the test harness
 * (tests/harness/) alike: the tracker connection (the browser's WebSocket),
 * the hashing worker, the WebRTC connector, and each signed-in user's
 * piece store (IndexedDB records, OPFS pieces where the browser can),
 * named by one rule.
 */
import type { SocketLike } from '../../../client/ports.ts';
import { TrackerClient, type TrackerClientOptions } from '../../../client/tracker.ts';
import { WorkerHasher } from './hasher.ts';
import { BrowserPieceStore } from './piece-store.ts';
import { BrowserPeerConnector } from './rtc.ts';

export interface BrowserPlatform {
  /** Not connected yet: the caller connects and signs in. */
  tracker: TrackerClient;
  /** One hashing worker for the tab. */
  hasher: WorkerHasher;
  /** One WebRTC connector for the tab; peer connections close with the swarms that own them. */
  connector: BrowserPeerConnector;
  /** The piece store of a signed-in user (pieceStoreOf). */
  storeFor(userId: string): BrowserPieceStore;
  /** Closes the tracker connection and stops the hashing worker. */
  close(): void;
}

export interface BrowserPlatformOptions {
  /** Tracker WebSocket URLs; by default the tracker that served this page. */
  trackerUrls?: string[];
  /** Tracker client timings (tests shorten them); the client's defaults otherwise. */
  tracker?: Pick<TrackerClientOptions, 'requestTimeoutMs' | 'reconnectDelayMs'>;
}

export function createBrowserPlatform(options: BrowserPlatformOptions = {}): BrowserPlatform {
  const tracker = new TrackerClient({
    ...options.tracker,
    urls: options.trackerUrls ?? [trackerUrlOf(location)],
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  });
  const hasher = new WorkerHasher();
  return {
    tracker,
    hasher,
    connector: new BrowserPeerConnector(),
    storeFor: pieceStoreOf,
    close() {
      tracker.close();
      hasher.terminate();
    },
  };
}

/**
 * Each signed-in user gets an IndexedDB database of their own,
 * `meshdrop-<user>`, so two people on one browser never see or resume each
 * other's files. A persistent contract with what browsers already hold.
 */
export function pieceStoreOf(userId: string): BrowserPieceStore {
  // The same name for the user's OPFS directory of pieces (piece-store.ts).
  return new BrowserPieceStore(`meshdrop-${userId}`);
}

/** The tracker's WebSocket URL for a page it served (the tracker serves the app and /ws on one port). */
export function trackerUrlOf(place: Pick<Location, 'protocol' | 'host'>): string {
  return `${place.protocol === 'https:' ? 'wss:' : 'ws:'}//${place.host}/ws`;
}
