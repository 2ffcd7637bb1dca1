/**
 * Browser notifications (issue 13 item 15), the pure part: when one is
 * shown, and what it says. A finished download and, for a group's owner, a
 * join request are worth a notification once the person has asked for them
 * ("Notify me") and the browser allows them; never when the tab is focused
 * and already showing the screen the notification would open, since the
 * page says it there already.
 */
import type { Route } from './routes.ts';

/** The localStorage key of the person's choice. A persistent contract with what browsers already hold. */
export const NOTIFY_KEY = 'meshdrop.notify';

export type Permission = 'default' | 'granted' | 'denied' | 'unsupported';

/** What a notification is about, and the screen that shows it. */
export type NotifyAbout = { kind: 'download'; name: string } | { kind: 'join'; userId: string; groupId: string };

/** The screen a notification about `about` opens: the downloads page, or the group's page. */
export function screenOf(about: NotifyAbout): Route {
  return about.kind === 'download' ? { page: 'downloads' } : { page: 'group', groupId: about.groupId, invite: undefined };
}

/** Is `route` the screen `about` opens? */
export function showing(route: Route, about: NotifyAbout): boolean {
  const screen = screenOf(about);
  return route.page === screen.page && (screen.page !== 'group' || (route.page === 'group' && route.groupId === screen.groupId));
}

/** Shown only when asked for, allowed, and not already in sight. */
export function shouldNotify(input: { enabled: boolean; permission: Permission; focused: boolean; route: Route; about: NotifyAbout }): boolean {
  if (!input.enabled || input.permission !== 'granted') return false;
  return !(input.focused && showing(input.route, input.about));
}

/** Title, body, a tag (one notification per thing, replaced rather than stacked) and the path it opens. */
export function notificationOf(about: NotifyAbout): { title: string; body: string; tag: string; path: string } {
  if (about.kind === 'download') {
    return { title: `${about.name} is downloaded`, body: 'Save it from the Downloads page.', tag: `download:${about.name}`, path: '/downloads' };
  }
  return {
    title: `${about.userId} asks to join ${about.groupId}`,
    body: 'Open the group to accept or reject.',
    tag: `join:${about.groupId}:${about.userId}`,
    path: `/g/${encodeURIComponent(about.groupId)}`,
  };
}

/** The toggle's words for each permission state. */
export function toggleWords(permission: Permission, on: boolean): string {
  if (permission === 'unsupported') return 'This browser cannot show notifications.';
  if (permission === 'denied') return 'Notifications are blocked for this site; allow them in the browser\'s site settings to turn this on.';
  return on ? 'You will be notified when a download finishes or someone asks to join your group.' : 'Get a notification when a download finishes or someone asks to join your group.';
}
