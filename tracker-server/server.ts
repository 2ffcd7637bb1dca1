/**
 * Starts one tracker: core (state + log), gateway (WebSocket), HTTP. Used by
 * the command line and by tests (port 0), so both run the same code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TrackerCore, type CoreConfig } from './core.ts';
import { Gateway } from './gateway/gateway.ts';
import { httpHandler } from './http.ts';

export interface TrackerConfig extends CoreConfig {
  host: string;
  port: number;
  /** The built web app; served if it exists. */
  webDir: string;
  /** How long a new connection has to say hello (default HELLO_TIMEOUT_MS). */
  helloTimeoutMs?: number;
}

export interface RunningTracker {
  core: TrackerCore;
  gateway: Gateway;
  server: Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** ws://host:port/ws */
  wsUrl: string;
  httpUrl: string;
  /** Torn bytes dropped from the log's tail at start-up (a crash's leftovers). */
  tornBytes: number;
  close(): Promise<void>;
}

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../dist/web', import.meta.url));

export async function startTracker(config: TrackerConfig): Promise<RunningTracker> {
  const { core, tornBytes } = await TrackerCore.open(config);
  const gateway = new Gateway(core, config.helloTimeoutMs);
  const server = createServer(httpHandler(core, gateway, config.webDir));
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    gateway.handleUpgrade(req, socket, head);
  });
  // Idle clients hold sockets for hours; no HTTP-level timeout should cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | undefined;
  return {
    core,
    gateway,
    server,
    port,
    wsUrl: `ws://${shownHost}:${port}/ws`,
    httpUrl: `http://${shownHost}:${port}`,
    tornBytes,
    close() {
      closing ??= (async () => {
        gateway.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await core.close();
      })();
      return closing;
    },
  };
}
