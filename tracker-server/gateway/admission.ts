/**
 * Who may open a connection: at most so many in all, and so many per client
 * address (issue 8, item 11). Pure bookkeeping, no sockets: the gateway asks
 * `admit` at each upgrade and calls `release` when that connection closes.
 *
 * Addresses are counted by `addressKey`: an IPv4 address as itself (also
 * when it arrives IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64,
 * since one host is routinely given a whole /64 and could otherwise take a
 * fresh address for every socket.
 */
import { isIPv6 } from 'node:net';

/** Why a connection was refused; each maps to a close code. */
export type Refusal = 'tracker_full' | 'address_full';

export interface AdmissionLimits {
  /** Connections in all (--max-connections). */
  total: number;
  /** Connections from one address (--max-connections-per-address). */
  perAddress: number;
}

export class Admission {
  #byAddress = new Map<string, number>();
  #total = 0;

  constructor(readonly limits: AdmissionLimits) {}

  get total(): number {
    return this.#total;
  }

  /** Counts one more connection from `address`, or says why not (and counts nothing). */
  admit(address: string): Refusal | undefined {
    if (this.#total >= this.limits.total) return 'tracker_full';
    const key = addressKey(address);
    const held = this.#byAddress.get(key) ?? 0;
    if (held >= this.limits.perAddress) return 'address_full';
    this.#byAddress.set(key, held + 1);
    this.#total++;
    return undefined;
  }

  /** A connection admitted with `address` closed. */
  release(address: string): void {
    const key = addressKey(address);
    const held = this.#byAddress.get(key);
    if (held === undefined) return;
    if (held <= 1) this.#byAddress.delete(key);
    else this.#byAddress.set(key, held - 1);
    this.#total--;
  }
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const bare = address.split('%')[0]!; // zone id
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups; only the first four groups matter here.
  const missing = 8 - left.length - right.length;
  const all = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return all.map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
}
