/**
 * Starts one tracker: core (state + log), gateway (WebSocket), HTTP. Used by
 * the command line and by tests (port 0), so both run the same code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TrackerCore, type CoreConfig } from './core.ts';
import { Gateway } from './gateway/gateway.ts';
import { httpHandler } from './http.ts';
import { LinksBus } from './mesh/links.ts';
import { Mesh } from './mesh/mesh.ts';
import { NatsBus } from './mesh/nats.ts';

export interface TrackerConfig extends CoreConfig {
  host: string;
  port: number;
  /** The built web app; served if it exists. */
  webDir: string;
  /** How long a new connection has to say hello (default HELLO_TIMEOUT_MS). */
  helloTimeoutMs?: number;
  /** How often connections are pinged; one silent for a whole round is ended (default SERVER_HEARTBEAT_MS). */
  heartbeatMs?: number;
  /** Built-in mesh: other trackers to link to (ws://host:port). Needs `secret`. */
  peers?: string[];
  /** Shared secret of the built-in mesh; with it (and no peers) this tracker accepts links from others. With NATS: signs and checks every message. */
  secret?: string;
  /** NATS servers: replicate over JetStream instead of links. */
  nats?: string[];
  /** With it, /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
}

export interface RunningTracker {
  core: TrackerCore;
  gateway: Gateway;
  /** Replication with other trackers, if configured. */
  mesh: Mesh | undefined;
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

/**
 * Upgrades held while the mesh starts (NATS unreachable): a client gives up on
 * its own after a few seconds, so this only bounds what a flood can make us
 * hold before the gateway's own connection caps apply.
 */
const MAX_HELD_UPGRADES = 1024;

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../dist/web', import.meta.url));

export async function startTracker(config: TrackerConfig): Promise<RunningTracker> {
  const { core, tornBytes } = await TrackerCore.open(config);
  const gateway = new Gateway(core, config.helloTimeoutMs, config.heartbeatMs);
  const mesh = meshFor(config, core);
  const server = createServer(httpHandler(core, gateway, config.webDir, config.metricsToken));
  // Clients are served once the mesh is up: a write accepted before the bus
  // can carry it would wait in the dark (NATS unreachable at start-up: the
  // bus retries). Until then an upgrade is held; a client gives up after its
  // attempt timeout and tries another tracker.
  let meshUp = !mesh;
  const waiting = new Map<Duplex, () => void>();
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/mesh' && mesh?.bus instanceof LinksBus) {
      mesh.bus.handleUpgrade(req, socket, head);
      return;
    }
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (meshUp) gateway.handleUpgrade(req, socket, head);
    else if (waiting.size >= MAX_HELD_UPGRADES) socket.destroy();
    else {
      waiting.set(socket, () => gateway.handleUpgrade(req, socket, head));
      socket.once('close', () => waiting.delete(socket));
    }
  });
  // Idle clients hold sockets for hours; no HTTP-level timeout should cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const shownHost = wildcard ? 'localhost' : config.host;
  // In a mesh, clients must learn where every tracker is; a tracker bound to
  // one address can name itself, one bound to all needs --public-url.
  if (mesh && config.publicUrls.length === 0 && !wildcard) config.publicUrls.push(`ws://${shownHost}:${port}/ws`);
  await mesh?.start();
  meshUp = true;
  for (const upgrade of waiting.values()) upgrade();
  waiting.clear();
  let closing: Promise<void> | undefined;
  return {
    core,
    gateway,
    mesh,
    server,
    port,
    wsUrl: `ws://${shownHost}:${port}/ws`,
    httpUrl: `http://${shownHost}:${port}`,
    tornBytes,
    close() {
      closing ??= (async () => {
        gateway.close();
        await mesh?.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await core.close();
      })();
      return closing;
    },
  };
}

/** The mesh this configuration asks for: NATS if given, else links if peers or a secret are. */
function meshFor(config: TrackerConfig, core: TrackerCore): Mesh | undefined {
  if (config.nats?.length) return new Mesh(core, new NatsBus({ servers: config.nats, secret: config.secret }));
  if (config.peers?.length || config.secret) {
    if (!config.secret) throw new Error('--peer needs --secret: trackers prove to each other that they share it');
    return new Mesh(core, new LinksBus({ peers: config.peers ?? [], secret: config.secret }));
  }
  return undefined;
}
