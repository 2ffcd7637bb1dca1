/**
 * The browser's notifications, behind NotificationHost. Shown through the
 * service worker's registration where there is one (so they outlive the
 * page's focus and a click can open the app: web/build/sw-body.js), else
 * with `new Notification`.
 */
import type { NotificationHost } from './notify.svelte.ts';
import type { Permission } from './notify.ts';

/** `open` shows one of the app's screens in this tab (its router): what a click on a notification shown without the worker does. */
export function browserNotifications(win: Window & typeof globalThis, open: (path: string) => void): NotificationHost | undefined {
  if (typeof win.Notification === 'undefined') return undefined;
  return {
    permission: () => win.Notification.permission as Permission,
    requestPermission: async () => (await win.Notification.requestPermission()) as Permission,
    focused: () => win.document.visibilityState === 'visible' && win.document.hasFocus(),
    async show({ title, body, tag, path }) {
      const options: NotificationOptions = { body, tag, icon: '/icons/icon-192.png', data: { path } };
      // Registered (the built app): wait for it to be active, a moment after the first load.
      const registered = 'serviceWorker' in win.navigator ? await win.navigator.serviceWorker.getRegistration() : undefined;
      if (registered) {
        await (await win.navigator.serviceWorker.ready).showNotification(title, options);
        return;
      }
      const n = new win.Notification(title, options);
      n.onclick = () => {
        win.focus();
        open(path); // the router, not a reload: the tab's downloads carry on
      };
    },
  };
}
