/**
 * Starts one tracker: core (state + log), gateway (WebSocket), HTTP. Used by
 * the command line and by tests (port 0), so both run the same code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TrackerCore, type CoreConfig } from './core.ts';
import { DEFAULT_ADMISSION, Gateway } from './gateway/gateway.ts';
import { httpHandler } from './http.ts';
import { LinksBus } from './mesh/links.ts';
import { Mesh } from './mesh/mesh.ts';
import { NatsBus } from './mesh/nats.ts';
import { StunServer } from './stun-server.ts';
import { appUrlOf } from './app-url.ts';

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
  /** WebSocket connections in all, and per address (defaults: DEFAULT_ADMISSION). */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Origins browsers may open /ws from; empty or absent: any. */
  allowedOrigins?: string[];
  /** How long a connection may stay after hello without logging in (default UNAUTHENTICATED_TIMEOUT_MS). */
  unauthenticatedTimeoutMs?: number;
  /** HTTP: the whole request, and its headers, must arrive within these (defaults HTTP_*_TIMEOUT_MS). */
  httpRequestTimeoutMs?: number;
  httpHeadersTimeoutMs?: number;
  /** UDP port of the STUN responder; undefined: the HTTP port's number (with port 0, any free port); 0: off. */
  stunPort?: number;
}

/**
 * A request (headers and body) must arrive within 30 s, its headers within
 * 10 s: the tracker serves only small GETs, so anything slower is a client
 * holding a socket open (a slow POST used to be held forever). An upgraded
 * WebSocket is no longer an HTTP request and is not subject to either
 * (tests/integration/http-hardening.test.ts pins that).
 */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/**
 * Sockets allowed beyond --max-connections WebSockets: /mesh links (at most
 * MESH_MAX_ACCEPTED_LINKS), health checks, page loads and upgrades being
 * refused with a close code. 1,024 is ample for those and small beside any
 * raised file-descriptor limit.
 */
export const HTTP_SOCKET_HEADROOM = 1024;

export interface RunningTracker {
  core: TrackerCore;
  gateway: Gateway;
  /** Replication with other trackers, if configured. */
  mesh: Mesh | undefined;
  server: Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The STUN responder's UDP port; undefined when it is off (--stun-port 0). */
  stunPort: number | undefined;
  /** The STUN responder itself (its counters), when on. */
  stun: StunServer | undefined;
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
  const gateway = new Gateway(core, config.helloTimeoutMs, config.heartbeatMs, {
    admission: {
      total: config.maxConnections ?? DEFAULT_ADMISSION.total,
      perAddress: config.maxConnectionsPerAddress ?? DEFAULT_ADMISSION.perAddress,
    },
    allowedOrigins: config.allowedOrigins ?? [],
    unauthenticatedTimeoutMs: config.unauthenticatedTimeoutMs,
  });
  const mesh = meshFor(config, core);
  const requestTimeout = config.httpRequestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(config.httpHeadersTimeoutMs ?? HTTP_HEADERS_TIMEOUT_MS, requestTimeout);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // How often Node checks those two: often enough that a short timeout (tests) is honoured closely.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
    httpHandler(core, gateway, config.webDir, config.metricsToken),
  );
  // The last bound on sockets of any kind (plain HTTP keep-alives, /mesh, upgrades about to be refused):
  // beyond it Node drops new sockets at once, so descriptors never run out and what is held keeps working.
  server.maxConnections = gateway.admission.limits.total + HTTP_SOCKET_HEADROOM;
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
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (meshUp) gateway.handleUpgrade(req, socket, head);
    else if (waiting.size >= MAX_HELD_UPGRADES) socket.destroy();
    else {
      waiting.set(socket, () => gateway.handleUpgrade(req, socket, head));
      socket.once('close', () => waiting.delete(socket));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // The same number as HTTP by default (one port to open, for TCP and UDP); with port 0 (tests), its own free one.
  const stunPort = config.stunPort ?? config.port;
  let stun: StunServer | undefined;
  if (config.stunPort !== 0) {
    try {
      stun = await StunServer.start(config.host, stunPort);
    } catch (err) {
      const why = `STUN: cannot bind UDP ${config.host}:${stunPort} (${(err as Error).message})`;
      // Asked for by number, the operator must hear it now. By default (the HTTP port's number, which
      // something else may hold on UDP) the tracker still serves: browsers then use --ice-server only.
      if (config.stunPort !== undefined) {
        server.close();
        await core.close();
        throw new Error(`${why}; --stun-port 0 turns it off`);
      }
      console.warn(`${why}: serving without STUN; free the port or set --stun-port`);
    }
  }
  gateway.stunPort = stun?.port;
  gateway.boundHost = config.host;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const shownHost = wildcard ? 'localhost' : config.host;
  // Before the mesh line below adds a bound address: links name only what the operator gave.
  gateway.appUrl = appUrlOf(config.publicUrls);
  // In a mesh, clients must learn where every tracker is; a tracker bound to
  // one address can name itself, one bound to all needs --public-url.
  if (mesh && config.publicUrls.length === 0 && !wildcard) config.publicUrls.push(`ws://${shownHost}:${port}/ws`);
  // What hello names without --public-url: never the client's Host header (the client chooses it). Bound to
  // one public address, that address. Bound to all, it knows no name clients could use; bound to loopback, it
  // is behind a proxy, and "127.0.0.1" would send a browser failing over (with its session token) to whatever
  // listens on the browser's own machine. Then it names none, and clients keep the URL they used.
  if (!wildcard && !isLoopback(config.host)) gateway.boundUrl = `ws://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/ws`;
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
    stunPort: stun?.port,
    stun,
    wsUrl: `ws://${shownHost}:${port}/ws`,
    httpUrl: `http://${shownHost}:${port}`,
    tornBytes,
    close() {
      closing ??= (async () => {
        gateway.close();
        await stun?.close();
        await mesh?.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await core.close();
      })();
      return closing;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
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
