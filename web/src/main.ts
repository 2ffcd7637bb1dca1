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
import { createBrowserPlatform, trackerUrlOf } from './platform/index.ts';
import { afterDialFailure, afterHello, loadTrackerRecords, saveTrackerRecords, trackersToDial } from './platform/known-trackers.ts';
import { installLeaveGuard } from './ui/leave-guard.ts';
import { browserNotifications } from './ui/notify-browser.ts';
import { followNotificationOpens } from './ui/notify-open.ts';
import './ui/theme.css';

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage blocked: sessions last as long as the tab
  }
}

// The tracker that served the page first, then the mesh's others this browser heard of: a reload the
// service worker answers after that tracker died still reaches the mesh (issue 13, item 5).
// The list shrinks too: a tracker gone from the mesh, or unseen for long, is forgotten (known-trackers.ts).
let known = loadTrackerRecords(storage(), Date.now());
const platform = createBrowserPlatform({ trackerUrls: trackersToDial(trackerUrlOf(location), known.map((r) => r.url)) });
const tracker = platform.tracker;
const keepKnown = (next: typeof known): void => {
  known = next;
  saveTrackerRecords(storage(), known, Date.now());
  app.connection.setKnown(known);
};
tracker.on('ready', ({ url }) => keepKnown(afterHello(known, { url, name: tracker.trackerName, listed: tracker.helloTrackers }, Date.now())));
tracker.on('dialFailed', ({ url }) => keepKnown(afterDialFailure(known, url, Date.now())));

const app = new MeshdropApp({
  client: platform.tracker,
  storage: storage(),
  place: location,
  history: window.history,
  origin: location.origin,
  pickFiles: () => pickFiles(true),
  // One tracker connection, hashing worker and WebRTC connector for the tab; the engine and its store are per signed-in user.
  startTransfers: (userId) => startTransfers(platform, userId),
  notifications: browserNotifications(window, (path) => app.router.goPath(path)),
});

app.connection.setKnown(known);
mount(App, { target: document.getElementById('app')!, props: { app } });
app.start();
// Closing the tab someone is downloading from asks first: the file leaves with the tab.
installLeaveGuard(window, () => app.transfers.held);

// A click on one of the app's notifications: the worker focuses this tab and names the screen to show.
followNotificationOpens(navigator.serviceWorker, (path) => app.router.goPath(path));

// The service worker keeps the app shell, so a reload opens the app even when this tracker is down
// (web/build/sw-body.js). Built app only: the dev server has no sw.js. Without it the app works as before.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
