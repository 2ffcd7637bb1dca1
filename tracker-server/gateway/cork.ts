/**
 * Corking per event-loop iteration: the gateway's connections write small
 * frames through here so frames produced for one socket in one iteration
 * leave in one writev (see `corked`).
 */
import type { Duplex } from 'node:stream';

/**
 * Sockets written to in this event-loop iteration, held corked until its
 * check phase: frames for one socket produced while the iteration handles
 * its reads (a reply and a relayed signal, several signals) leave in one
 * writev instead of one syscall each. On loopback a write costs ~6 µs of
 * kernel time, most of the tracker's cost per signal. The wait is bounded by
 * the rest of the iteration (setImmediate runs right after the poll phase).
 * process.nextTick would be too short a window: it closes after each socket
 * read, and the frames that share a socket come from reads of different
 * sockets (in bench/tracker no send shared a nextTick window with another to
 * its socket, against about a third of them sharing a loop iteration).
 */
const corked = new Set<Duplex>();
/**
 * Only small frames are held, and only while little is held: a big reply
 * (a file's metadata is up to ~700 KB) goes to the kernel at once, as it did
 * before corking. A writev completes as a whole, so holding several big
 * replies would keep them all counted as queued until the last byte is
 * taken, and a client that reads as fast as it can would be dropped as slow.
 */
export const CORK_MAX_CHARS = 16 * 1024;
export const CORK_MAX_BYTES = 64 * 1024;
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  // A destroyed socket ignores uncork; its buffered frames are dropped as a write to it would be.
  for (const socket of corked) socket.uncork();
  corked.clear();
}

export function corkForThisIteration(socket: Duplex): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushCorked);
  }
}

/**
 * Hands a corked socket's frames to the kernel at once: the slow-reader
 * limit judges what the kernel would not take, as it did before corking, not
 * what this iteration has held back.
 */
export function uncorkNow(socket: Duplex): void {
  if (corked.delete(socket)) socket.uncork();
}
