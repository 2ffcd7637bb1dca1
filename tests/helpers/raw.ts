/** A raw WebSocket to a tracker, for sending frames no well-behaved client would. */
import { WebSocket } from 'ws';
import type { Teardown } from './tracker.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { readTrackerFrame } from '../../protocol/signals-frame.ts';

/** A frame from the tracker, read as a client reads it (a relayed signal's data after its line); a frame no client could read fails the test. */
export function readFrame(text: string): Record<string, unknown> {
  const read = readTrackerFrame(text);
  if (!read.ok) throw new Error(`the tracker sent ${read.problem}: ${text.slice(0, 200)}`);
  return read.value;
}

export interface RawSocket {
  ws: WebSocket;
  send(frame: string | Record<string, unknown>): void;
  /** The next message whose id matches (or any message with no id, if id is null). */
  next(id?: string | null): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawSocket(t: Teardown, url: string): Promise<RawSocket> {
  const ws = new WebSocket(url);
  t.after(() => ws.terminate());
  const inbox: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    inbox.push(readFrame(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next(id) {
      for (;;) {
        const i = inbox.findIndex((m) => (id === undefined ? true : (m.id ?? null) === id));
        if (i >= 0) return inbox.splice(i, 1)[0]!;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no reply with id ${id}`)), 5000);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    closed,
  };
}

/** Opens a raw socket and says hello. */
export async function helloSocket(t: Teardown, url: string): Promise<RawSocket> {
  const s = await rawSocket(t, url);
  s.send({ id: 'h', type: 'hello', protocol: PROTOCOL_VERSION });
  const reply = await s.next('h');
  if (!reply.ok) throw new Error(`hello failed: ${JSON.stringify(reply)}`);
  return s;
}
