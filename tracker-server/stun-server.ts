/**
 * The tracker's STUN responder (RFC 5389 binding requests over UDP): a
 * browser learns its public address from it (a "server reflexive" ICE
 * candidate), which is what lets two browsers behind ordinary home NATs
 * connect directly. The message format is the `stun` package's; this module
 * owns the socket and the bounds: anything but a well-formed binding request
 * is dropped without a word, nothing received can throw, and answers are
 * capped per source address and in all, so a flood costs a bounded amount of
 * CPU and outgoing bytes and never reaches the tracker's other work.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import stun from 'stun';
import { TokenBucket } from './limits.ts';

/**
 * Answers per source address: a browser gathering candidates sends one
 * request per local interface and ICE restart, plus retransmits (RFC 5389:
 * up to 7 at 500 ms doubling); a dozen tabs behind one NAT address still fit
 * in a burst of 50 and 10 a second.
 */
export const STUN_PER_SOURCE_BURST = 50;
export const STUN_PER_SOURCE_PER_SECOND = 10;
/**
 * Answers per second in all: a binding response is ~40 bytes, so this bounds
 * what a flood of spoofed sources can make the tracker send to ~200 KB/s
 * (and its CPU to a few percent), while 5,000 is still thousands of page
 * loads a second.
 */
export const STUN_GLOBAL_PER_SECOND = 5000;
/**
 * Source addresses remembered at once: spoofed sources would otherwise grow
 * the map without end. When full it is forgotten wholesale (buckets start
 * full again): the global cap still holds, and honest clients keep answers.
 */
export const STUN_MAX_SOURCES = 10_000;
/** A browser's binding request is 20–100 bytes; anything past this is not one. */
export const STUN_MAX_REQUEST_BYTES = 512;

const HEADER_BYTES = 20;
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = stun.constants.STUN_BINDING_REQUEST!;
const BINDING_RESPONSE = stun.constants.STUN_BINDING_RESPONSE!;

export interface StunStats {
  answered: number;
  /** Not a well-formed binding request. */
  ignored: number;
  /** Well-formed, but over the per-source or global cap. */
  limited: number;
}

/**
 * The cheap checks that come before decoding: the fixed header of an RFC 5389
 * request (first two bits zero, length matching the datagram and a multiple
 * of 4, the magic cookie) and the binding request type. Pure.
 */
export function looksLikeBindingRequest(msg: Buffer): boolean {
  if (msg.length < HEADER_BYTES || msg.length > STUN_MAX_REQUEST_BYTES) return false;
  const type = msg.readUInt16BE(0);
  const length = msg.readUInt16BE(2);
  return type === BINDING_REQUEST && length % 4 === 0 && length === msg.length - HEADER_BYTES && msg.readUInt32BE(4) === MAGIC_COOKIE;
}

export class StunServer {
  readonly stats: StunStats = { answered: 0, ignored: 0, limited: 0 };
  #sources = new Map<string, TokenBucket>();
  #global: TokenBucket;

  private constructor(
    private readonly socket: Socket,
    /** The UDP port actually bound. */
    readonly port: number,
  ) {
    this.#global = new TokenBucket(STUN_GLOBAL_PER_SECOND, STUN_GLOBAL_PER_SECOND, Date.now());
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    // An ICMP "port unreachable" for an earlier answer, say: nothing to do, and it must not reach the process.
    socket.on('error', (err) => console.error('tracker: STUN socket error:', err.message));
  }

  /** Binds UDP `port` (0: any free port) on `host`. */
  static async start(host: string, port: number): Promise<StunServer> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new StunServer(socket, socket.address().port);
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (!looksLikeBindingRequest(msg)) {
      this.stats.ignored++;
      return;
    }
    const now = Date.now();
    let bucket = this.#sources.get(rinfo.address);
    if (!bucket) {
      if (this.#sources.size >= STUN_MAX_SOURCES) this.#sources.clear();
      this.#sources.set(rinfo.address, (bucket = new TokenBucket(STUN_PER_SOURCE_PER_SECOND, STUN_PER_SOURCE_BURST, now)));
    }
    if (!bucket.take(now) || !this.#global.take(now)) {
      this.stats.limited++;
      return;
    }
    let answer: Buffer;
    try {
      // Decoding checks every attribute's framing; a request the package cannot read is not answered.
      const request = stun.decode(msg);
      const response = stun.createMessage(BINDING_RESPONSE, request.transactionId);
      response.addXorAddress(rinfo.address, rinfo.port);
      response.addFingerprint();
      answer = response.toBuffer();
    } catch {
      this.stats.ignored++;
      return;
    }
    this.stats.answered++;
    this.socket.send(answer, rinfo.port, rinfo.address, () => undefined);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

export interface StunUrlInput {
  /** --public-url values (they name this and every other tracker). */
  publicUrls: readonly string[];
  /** The Host header of the upgrade: only used to pick one of `publicUrls`, never echoed itself. */
  hostHeader: string | undefined;
  /** The address the tracker is bound to (--host). */
  boundHost: string;
  /** The local address of the connection's TCP socket: the one the client really reached. */
  localAddress: string | undefined;
  port: number;
}

/**
 * The `stun:` URL a connection is told, by the rule hello's tracker list
 * follows (server.ts `boundUrl`): never a name the client chose. A configured
 * public URL's hostname comes first (behind a proxy or NAT only the operator
 * knows the public name); with several (a mesh), the one whose host the
 * client used, since the Host header may pick among configured names but
 * never adds one. Else the bound address if it is a specific one; else the
 * local address of this connection's socket, which the client did reach (a
 * packet, not a header). STUN carries no secret, so a wrong answer costs a
 * useless candidate, never a leaked token. Pure.
 */
export function stunUrl(input: StunUrlInput): string | undefined {
  let host: string | undefined;
  if (input.publicUrls.length > 0) {
    const urls = input.publicUrls.flatMap((u) => {
      try {
        return [new URL(u)];
      } catch {
        return [];
      }
    });
    host = (urls.find((u) => u.host === input.hostHeader) ?? urls[0])?.hostname;
  } else if (input.boundHost !== '0.0.0.0' && input.boundHost !== '::') {
    host = input.boundHost;
  } else {
    host = input.localAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  }
  if (!host) return undefined;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `stun:${host}:${input.port}`;
}
