/**
 * bittorrent-tracker 11's WebSocket tracker (the reference WebTorrent
 * tracker) as bench/tracker.ts runs it beside ours: its `Server` with HTTP
 * and UDP off, WebSockets on, on 127.0.0.1 and a port of the system's. It
 * prints the line TrackerProcess waits for; the benchmark-only gc-hook
 * preload answers stats over IPC, as it does for Meshdrop's tracker.
 */
import { Server } from 'bittorrent-tracker';

const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false });
// Warnings (an answer to a peer that left) are the clients' problem, not the tracker's: as in production, ignored.
server.on('warning', () => undefined);
server.on('error', (err: Error) => console.error('bittorrent-tracker:', err));
server.listen(0, '127.0.0.1', () => {
  const address = (server as unknown as { ws: { address(): { port: number } } }).ws.address();
  console.log(`serving http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
