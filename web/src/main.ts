/**
 * Boots the app in a browser tab: the tracker connection (the tracker that
 * served this page, at /ws), the app controller, the Svelte tree, and — once
 * the browser platform has started — the transfer engine.
 */
import { mount } from 'svelte';
import { TrackerClient } from '../../client/tracker.ts';
import type { SocketLike } from '../../client/ports.ts';
import App from './ui/App.svelte';
import { MeshdropApp } from './ui/app.ts';
import { pickFiles } from './ui/pick-files.ts';
import { startTransfers } from './ui/start-transfers.ts';
import { WorkerHasher } from './platform/hasher.ts';
import { BrowserPeerConnector } from './platform/rtc.ts';
import './ui/theme.css';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const client = new TrackerClient({
  urls: [wsUrl],
  createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
});

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage blocked: sessions last as long as the tab
  }
}

const platform = { hasher: new WorkerHasher(), connector: new BrowserPeerConnector() };

const app = new MeshdropApp({
  client,
  storage: storage(),
  place: location,
  history: window.history,
  origin: location.origin,
  pickFiles: () => pickFiles(true),
  // One hashing worker and one WebRTC connector for the tab; the engine and its store are per signed-in user.
  startTransfers: (userId) => startTransfers(platform, client, userId),
});

mount(App, { target: document.getElementById('app')!, props: { app } });
app.start();
