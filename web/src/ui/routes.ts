/**
 * The app's addresses. A group's shareable link is /g/<groupId>; an invite
 * link adds ?invite=<token>. The tracker serves the app for any path (SPA
 * fallback), so these open the app directly. Pure: parse and build only.
 */
import { NAME_PATTERN } from '../../../protocol/constants.ts';

export type Route =
  | { page: 'groups' }
  | { page: 'group'; groupId: string; invite: string | undefined }
  | { page: 'downloads' }
  | { page: 'not_found'; path: string };

export function parseRoute(pathname: string, search = ''): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/groups') return { page: 'groups' };
  if (path === '/downloads') return { page: 'downloads' };
  const m = /^\/g\/([^/]+)$/.exec(path);
  if (m) {
    let groupId: string;
    try {
      groupId = decodeURIComponent(m[1]!);
    } catch {
      return { page: 'not_found', path };
    }
    if (!NAME_PATTERN.test(groupId)) return { page: 'not_found', path };
    const invite = new URLSearchParams(search).get('invite') ?? undefined;
    return { page: 'group', groupId, invite: invite && /^[A-Za-z0-9_-]{16,64}$/.test(invite) ? invite : undefined };
  }
  return { page: 'not_found', path };
}

export function routePath(route: Route): string {
  switch (route.page) {
    case 'groups':
      return '/';
    case 'downloads':
      return '/downloads';
    case 'group':
      return `/g/${encodeURIComponent(route.groupId)}${route.invite ? `?invite=${encodeURIComponent(route.invite)}` : ''}`;
    case 'not_found':
      return route.path;
  }
}

/** The link a group's members share: absolute, so it can be pasted anywhere or scanned from a QR code. */
export function groupLink(origin: string, groupId: string, invite?: string): string {
  return origin.replace(/\/+$/, '') + routePath({ page: 'group', groupId, invite });
}
