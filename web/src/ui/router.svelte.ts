/** The current page, kept in step with the address bar (History API; the tracker's SPA fallback serves every path). */
import { parseRoute, routePath, type Route } from './routes.ts';

/** The slice of window.location / history we use, so tests can hand in their own. */
export interface Place {
  pathname: string;
  search: string;
}
export interface HistoryLike {
  pushState(data: unknown, unused: string, url: string): void;
  replaceState(data: unknown, unused: string, url: string): void;
}

export class RouterState {
  #route = $state<Route>({ page: 'groups' });
  #history: HistoryLike | undefined;

  constructor(place: Place, history: HistoryLike | undefined) {
    this.#history = history;
    this.#route = parseRoute(place.pathname, place.search);
  }

  get route(): Route {
    return this.#route;
  }

  go(route: Route, replace = false): void {
    this.#route = route;
    const url = routePath(route);
    if (replace) this.#history?.replaceState(null, '', url);
    else this.#history?.pushState(null, '', url);
  }

  /** For app links: "/g/photos" → the group page. */
  goPath(path: string): void {
    const [pathname, search = ''] = path.split('?');
    this.go(parseRoute(pathname!, search ? `?${search}` : ''));
  }

  /** The browser moved (back/forward). */
  sync(place: Place): void {
    this.#route = parseRoute(place.pathname, place.search);
  }

  /** Forget an invite code once used, so a reload does not try it again. */
  dropInvite(): void {
    const r = this.#route;
    if (r.page === 'group' && r.invite) this.go({ page: 'group', groupId: r.groupId, invite: undefined }, true);
  }

  reset(): void {
    this.go({ page: 'groups' }, true);
  }
}
