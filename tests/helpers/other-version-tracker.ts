/**
 * A tracker of another protocol version, as tests meet one: a real WebSocket
 * server that refuses every request (hello first) with `version_mismatch`
 * and the words a tracker of that version says. On a given port it stands in
 * for a tracker upgraded under running clients; on port 0, for an old one.
 */
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import type { Teardown } from './tracker.ts';

/** What a tracker one version ahead says to this code's clients. */
export const NEWER_TRACKER_WORDS = `this tracker speaks protocol ${PROTOCOL_VERSION + 1}, not ${PROTOCOL_VERSION}; this page or program is older than the tracker: reload the page, or update meshdrop`;

export interface OtherVersionTracker {
  port: number;
  /** How many hellos it has refused so far. */
  hellos(): number;
}

export async function startOtherVersionTracker(t: Teardown, options: { port?: number; words?: string } = {}): Promise<OtherVersionTracker> {
  const words = options.words ?? NEWER_TRACKER_WORDS;
  const wss = new WebSocketServer({ port: options.port ?? 0, host: '127.0.0.1' });
  t.after(() => new Promise((r) => wss.close(r)));
  await new Promise((r) => wss.once('listening', r));
  let hellos = 0;
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'hello') hellos++;
      ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: ErrorCode.VersionMismatch, message: words } }));
    }),
  );
  return { port: (wss.address() as { port: number }).port, hellos: () => hellos };
}
