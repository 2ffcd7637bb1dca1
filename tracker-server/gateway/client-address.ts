/**
 * The address a client is counted by (log-in and sign-up limits), behind a
 * reverse proxy or not (`--trust-proxy`).
 *
 * Without --trust-proxy, the TCP peer's address, and X-Forwarded-For is
 * ignored: anyone can write that header.
 *
 * With --trust-proxy LIST (addresses or CIDR ranges of your proxies), a
 * connection *from* one of them is counted by the right-most address in
 * X-Forwarded-For that is not one of them: each proxy appends the address it
 * received the request from, so entries to the right of the first untrusted
 * one were written by proxies we trust, and entries to its left were written
 * by the client (and may be anything). A connection from elsewhere is counted
 * by its own address, header or not. If every entry is trusted (or the
 * header is missing or unreadable) the left-most trusted hop is used.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export type TrustedProxies = BlockList | undefined;

/** Builds the trusted set from `--trust-proxy` entries ("10.0.0.1", "10.0.0.0/8", "::1"); throws on a bad one. */
export function trustedProxies(entries: readonly string[] | undefined): TrustedProxies {
  if (!entries?.length) return undefined;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (!family) throw new Error(`--trust-proxy: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 6 ? 128 : 32)) throw new Error(`--trust-proxy: bad prefix length in ${JSON.stringify(entry)}`);
    list.addSubnet(address!, bits, type);
  }
  return list;
}

/** "::ffff:10.0.0.1" → "10.0.0.1", so one address has one spelling. */
function normalise(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Pure given its inputs: the peer's address and the X-Forwarded-For header(s). */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, proxies: TrustedProxies): string {
  const direct = peer ? normalise(peer) : 'unknown';
  if (!proxies || !trusted(proxies, direct) || forwardedFor === undefined) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map(normalise);
  let client = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Not an address: the chain is unreadable from here on; keep the last trusted hop.
    if (!isIP(hop)) break;
    client = hop;
    if (!trusted(proxies, hop)) break;
  }
  return client;
}

const compiled = new WeakMap<readonly string[], TrustedProxies>();

/** The client address of an upgrade request, given the configured `--trust-proxy` entries (compiled once per list). */
export function clientAddress(req: IncomingMessage, trustProxy: readonly string[] | undefined): string {
  let proxies: TrustedProxies;
  if (trustProxy?.length) {
    proxies = compiled.get(trustProxy);
    if (!proxies) compiled.set(trustProxy, (proxies = trustedProxies(trustProxy)));
  }
  return resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies);
}
