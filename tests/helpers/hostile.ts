/** Hostile frames and a raw /mesh socket that can prove it holds the secret, for the hostile-input tests. */
import { createHmac, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import type { Teardown } from './tracker.ts';

/** JSON text of an array nested `depth` levels deep: 2 bytes a level, built as text (a value this deep cannot be stringified). */
export const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** A signal frame whose `data` nests `depth` levels deep. */
export const deepSignal = (id: string, depth: number): string =>
  `{"id":"${id}","type":"signal","fileId":"${'a'.repeat(40)}","to":"peer-abcdefgh","data":${deepArray(depth)}}`;

export interface RawMesh {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<number>;
  send(text: string): void;
}

/** A raw socket on /mesh, waiting for the challenge. */
export async function rawMesh(t: Teardown, port: number): Promise<RawMesh> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mesh`);
  t.after(() => ws.terminate());
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`mesh upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, messages, closed, send: (text) => ws.send(text) };
}

/** Proves `secret` as a dialling tracker named `trackerId` (the links handshake, done by hand). */
export function meshAuth(challengeNonce: string, secret: string, trackerId: string): string {
  const nonce = randomBytes(32).toString('hex');
  const proof = createHmac('sha256', secret).update(['dial', challengeNonce, nonce, trackerId].join('\n')).digest('hex');
  return JSON.stringify({ type: 'auth', trackerId, nonce, proof });
}
