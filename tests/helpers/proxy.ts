/**
 * A real TCP proxy on loopback, to partition two trackers: `cut()` drops every
 * connection through it and refuses new ones (as a failed network would),
 * `heal()` lets traffic through again. `freeze()` keeps every connection open
 * but silently drops what crosses it, as a host that vanished without a word
 * would (no FIN, no RST): only a liveness check can notice that. Closed at teardown.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type Teardown = { after(fn: () => unknown): void };

export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  freeze(): void;
  /** Connections open through the proxy right now. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startProxy(t: Teardown, targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  let frozen = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Forward by hand rather than pipe(), so a frozen proxy can swallow bytes.
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    heal() {
      cut = false;
      frozen = false;
    },
    freeze() {
      frozen = true;
    },
    get open() {
      return sockets.size / 2;
    },
    close() {
      proxy.cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  t.after(() => proxy.close());
  return proxy;
}

/** A port free right now on 127.0.0.1 (for processes that must be restarted on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
