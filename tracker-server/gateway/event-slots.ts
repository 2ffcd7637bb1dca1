/**
 * A fresh emitter's listener table as an object with fast properties.
 *
 * Node's EventEmitter keeps its listeners in `_events`, made as
 * `{ __proto__: null }`, which V8 holds in dictionary mode: a hash table that
 * with the four listeners a connection puts on its WebSocket (message,
 * close, pong, error) costs ~240 bytes more than the same four as ordinary
 * fields, for every idle peer (bench/tracker-heap.ts showed it as the
 * biggest "(object properties)" array per peer). Node's own streams do the
 * same for theirs (Readable and Writable start `_events` as a plain object
 * with their common events), which is why the socket's and the receiver's
 * tables were already small.
 *
 * The table's prototype is an object with no prototype, so an event named
 * like an Object.prototype member ("toString") finds no listener, as with
 * `{ __proto__: null }`. EventEmitter's own code does the rest as before
 * (adding, removing, `once`, an `error` with no listener throwing); it puts
 * back `{ __proto__: null }` when the last listener goes. Only an emitter
 * with no listener yet is changed: one that has some keeps its own table.
 */
import type { EventEmitter } from 'node:events';

/** The tables' prototype: no members at all (a class's prototype would still have `constructor`). */
const NO_MEMBERS: object = Object.create(null);

type Internals = { _events?: object; _eventsCount?: number };

export function withEventSlots(emitter: EventEmitter): void {
  const e = emitter as unknown as Internals;
  if (e._eventsCount !== 0 || typeof e._events !== 'object') return;
  // Object.create of an ordinary object gives fast properties (of null, a dictionary).
  e._events = Object.create(NO_MEMBERS);
}
