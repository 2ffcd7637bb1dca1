/**
 * A set that is nearly always of one, held as that one value until a second
 * joins. A tracker keeps three such sets per idle peer (the files a
 * connection watches, the files a peer holds, a user's connections), almost
 * always of one member, and an empty `Set` alone costs about 150 bytes of
 * heap (its hash table), a fifth of what bittorrent-tracker keeps per peer
 * (bench/tracker-heap.ts). `T` must never itself be a Set.
 */
export type Few<T> = T | Set<T> | undefined;

/** `few` with `value` in it (the same Set when it already was one). */
export function fewAdd<T>(few: Few<T>, value: T): Few<T> {
  if (few === undefined || few === value) return value;
  if (few instanceof Set) return few.add(value);
  return new Set([few as T, value]);
}

/** `few` without `value`: back to the value alone at one member, undefined at none. */
export function fewDelete<T>(few: Few<T>, value: T): Few<T> {
  if (few === value) return undefined;
  if (!(few instanceof Set)) return few;
  few.delete(value);
  if (few.size > 1) return few;
  for (const only of few) return only;
  return undefined;
}

export function fewHas<T>(few: Few<T>, value: T): boolean {
  return few instanceof Set ? few.has(value) : few !== undefined && few === value;
}

export function fewSize<T>(few: Few<T>): number {
  return few instanceof Set ? few.size : few === undefined ? 0 : 1;
}

const NONE: readonly never[] = [];

/** The members, to iterate (live when a Set: copy before changing it while iterating). */
export function fewValues<T>(few: Few<T>): Iterable<T> {
  return few instanceof Set ? few : few === undefined ? NONE : [few as T];
}
