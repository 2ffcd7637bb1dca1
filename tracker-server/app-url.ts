/**
 * The web app's public address, for the links people hand on (group links,
 * invites, their QR codes): the tracker serves the app on the same origin as
 * its /ws endpoint, so `wss://drop.example.org/ws` gives
 * `https://drop.example.org`. Only from --public-url, which the operator
 * chose: never from the Host header (the client chooses that) nor from a
 * bound address (a browser on another machine may not reach it). Undefined
 * without one; the page then uses its own origin. Pure.
 */
export function appUrlOf(publicUrls: readonly string[]): string | undefined {
  // The first one names this tracker (the flag's order is the operator's; the mesh appends others later).
  const first = publicUrls[0];
  return first === undefined ? undefined : pageOriginOf(first);
}

/**
 * The origin of the pages a tracker at this /ws URL serves (`wss://h:8443/ws`
 * → `https://h:8443`, a default port left out as browsers leave it out of
 * `Origin`); undefined for anything but a ws: or wss: URL. Pure.
 */
export function pageOriginOf(wsUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(wsUrl);
  } catch {
    return undefined;
  }
  const scheme = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : undefined;
  if (!scheme) return undefined;
  return new URL(`${scheme}//${url.host}`).origin;
}
