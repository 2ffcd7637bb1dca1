/**
 * A real coturn on loopback with coturn's TURN REST scheme
 * (`use-auth-secret`), and a TURN Allocate against it with the long-term
 * credential mechanism (the `stun` package's codec): what a browser does
 * before it gets a relay. Needs coturn (`turnserver`; .ci/run installs it):
 * without it the test fails and says so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import stun from 'stun';
import { tempDir, type Teardown } from './tracker.ts';

export const COTURN_REALM = 'meshdrop';
const C = stun.constants;
/** REQUESTED-TRANSPORT: UDP (protocol 17) in the top byte (RFC 5766 §14.7). */
const UDP_TRANSPORT = 17 << 24;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts coturn on 127.0.0.1 with `secret`; resolves with its UDP port once it answers. Killed at teardown. */
export async function startCoturn(t: Teardown, secret: string): Promise<number> {
  assert.equal(spawnSync('sh', ['-c', 'command -v turnserver']).status, 0, 'coturn is not installed (apt-get install coturn; .ci/run does it)');
  const dir = await tempDir(t, 'meshdrop-coturn-');
  const port = await freeUdpPort();
  const child = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, `--realm=${COTURN_REALM}`,
    '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`, `--db=${join(dir, 'turndb')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  t.after(() => {
    child.kill('SIGKILL');
  });
  // Ready once it answers a binding request.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await udp(t);
    try {
      await stun.request(`stun://127.0.0.1:${port}`, { socket: s, timeout: 200, retries: 1 });
      return port;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`coturn did not start:\n${log}`);
    }
  }
}

async function udp(t: Teardown): Promise<Socket> {
  const s = createSocket('udp4');
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/**
 * ERROR-CODE read from the datagram (RFC 5389 §15.6: class in the low 3 bits
 * of byte 2, number in byte 3): stun 2.1.0 decodes it as class × (number + 100),
 * so a 401 reads as 404 there.
 */
function errorCode(msg: Buffer): number | undefined {
  for (let at = 20; at + 4 <= msg.length; ) {
    const type = msg.readUInt16BE(at);
    const length = msg.readUInt16BE(at + 2);
    if (type === C.STUN_ATTR_ERROR_CODE) return (msg[at + 6]! & 7) * 100 + msg[at + 7]!;
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return undefined;
}

/** One request, one answer (the first datagram back), decoded, with its error code read right. */
function exchange(socket: Socket, port: number, message: Buffer): Promise<ReturnType<typeof stun.decode> & { code: number | undefined }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from coturn')), 3000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      resolve(Object.assign(stun.decode(msg), { code: errorCode(msg) }));
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** A TURN Allocate with the long-term credential mechanism: the 401 challenge, then the signed request. */
export async function allocate(t: Teardown, port: number, username: string, password: string): Promise<{ ok: boolean; code?: number }> {
  const socket = await udp(t);
  const first = stun.createMessage(C.STUN_ALLOCATE_REQUEST!);
  first.addAttribute(C.STUN_ATTR_REQUESTED_TRANSPORT!, UDP_TRANSPORT);
  const challenge = await exchange(socket, port, first.toBuffer());
  assert.equal(challenge.code, 401, 'coturn asks for credentials');
  const realm = challenge.getRealm()!;
  const nonce = challenge.getNonce()!;
  const signed = stun.createMessage(C.STUN_ALLOCATE_REQUEST!);
  signed.addAttribute(C.STUN_ATTR_REQUESTED_TRANSPORT!, UDP_TRANSPORT);
  signed.addUsername(username);
  signed.addRealm(realm);
  signed.addNonce(nonce);
  signed.addMessageIntegrity(createHash('md5').update(`${username}:${realm}:${password}`).digest());
  const answer = await exchange(socket, port, signed.toBuffer());
  return answer.type === C.STUN_ALLOCATE_RESPONSE ? { ok: true } : { ok: false, code: answer.code };
}
