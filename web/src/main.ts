/**
 * Boots the app in a browser tab: the browser platform (platform/index.ts:
 * the connection to the tracker that served this page, at /ws, the hashing
 * worker, the WebRTC connector), the app controller, the Svelte tree, and —
 * once someone signs in — the transfer engine on their own piece store.
 */
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { MeshdropApp } from './ui/app.ts';
import { pickFiles } from './ui/pick-files.ts';
import { startTransfers } from './ui/start-transfers.ts';
import { createBrowserPlatform } from './platform/index.ts';
import { installLeaveGuard } from './ui/leave-guard.ts';
import './ui/theme.css';

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage blocked: sessions last as long as the tab
  }
}

const platform = createBrowserPlatform();

const app = new MeshdropApp({
  client: platform.tracker,
  storage: storage(),
  place: location,
  history: window.history,
  origin: location.origin,
  pickFiles: () => pickFiles(true),
  // One tracker connection, hashing worker and WebRTC connector for the tab; the engine and its store are per signed-in user.
  startTransfers: (userId) => startTransfers(platform, userId),
});

mount(App, { target: document.getElementById('app')!, props: { app } });
app.start();
// Closing the tab someone is downloading from asks first: the file leaves with the tab.
installLeaveGuard(window, () => app.transfers.held);
