/**
 * Browser notifications, the state: the person's choice ("Notify me", kept
 * in localStorage) and the browser's permission, asked for only from the
 * toggle's click (browsers refuse a request that is not a user gesture).
 * What the browser does is behind NotificationHost (notify-browser.ts), so
 * the app runs the same without one.
 */
import type { KeyValueStorage } from './session.svelte.ts';
import type { Route } from './routes.ts';
import { NOTIFY_KEY, notificationOf, shouldNotify, type NotifyAbout, type Permission } from './notify.ts';

export interface NotificationHost {
  permission(): Permission;
  /** Must run inside a click's handler. */
  requestPermission(): Promise<Permission>;
  show(n: { title: string; body: string; tag: string; path: string }): Promise<void>;
  /** The tab has focus and is visible. */
  focused(): boolean;
}

export class NotifierState {
  #enabled = $state(false);
  #permission = $state<Permission>('unsupported');
  readonly #host: NotificationHost | undefined;
  readonly #storage: KeyValueStorage | undefined;

  constructor(host: NotificationHost | undefined, storage: KeyValueStorage | undefined) {
    this.#host = host;
    this.#storage = storage;
    this.#permission = host?.permission() ?? 'unsupported';
    try {
      this.#enabled = storage?.getItem(NOTIFY_KEY) === 'on';
    } catch {
      this.#enabled = false;
    }
  }

  get permission(): Permission {
    return this.#permission;
  }
  /** Asked for and allowed. */
  get on(): boolean {
    return this.#enabled && this.#permission === 'granted';
  }

  /** The toggle's click: asks the browser (a user gesture), then keeps the choice. */
  async turnOn(): Promise<void> {
    if (!this.#host) return;
    this.#permission = this.#host.permission() === 'granted' ? 'granted' : await this.#host.requestPermission();
    this.#keep(this.#permission === 'granted');
  }

  turnOff(): void {
    this.#keep(false);
  }

  /** Shows a notification about `about` if asked for, allowed and not already in sight on `route`. */
  notify(about: NotifyAbout, route: Route): void {
    const host = this.#host;
    if (!host) return;
    // The permission may have been changed in the browser's settings since.
    this.#permission = host.permission();
    if (!shouldNotify({ enabled: this.#enabled, permission: this.#permission, focused: host.focused(), route, about })) return;
    host.show(notificationOf(about)).catch(() => undefined); // a notification that cannot be shown leaves the page's own notice
  }

  #keep(on: boolean): void {
    this.#enabled = on;
    try {
      this.#storage?.setItem(NOTIFY_KEY, on ? 'on' : 'off');
    } catch {
      // storage blocked: the choice lasts as long as the tab
    }
  }
}
