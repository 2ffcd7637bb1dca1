/**
 * PeerLink on its own, as the peer-link unit tests drive it: a recording
 * LinkHost for a one-piece file, two real links joined over MemoryNetwork
 * (signalling each other a turn later, as through a tracker), or one real
 * link dialling a raw channel whose frames are recorded. No swarm, no tracker.
 */
import { randomBytes } from 'node:crypto';
import { Bitfield } from '../../protocol/bitfield.ts';
import { BLOCK_SIZE } from '../../protocol/constants.ts';
import { asConnId, asInstanceId, asPresenceId, type InstanceId } from '../../protocol/ids.ts';
import { decodeFrame, type BlockRef, type Frame } from '../../protocol/wire.ts';
import { PeerLink, type BlockFrame, type LinkHost } from '../../client/peer-link.ts';
import type { PeerChannel } from '../../client/ports.ts';
import { TokenBucket } from '../../client/rate.ts';
import { UploadTurns } from '../../client/upload-turns.ts';
import { MemoryNetwork } from './memory-platform.ts';

type After = { after: (fn: () => void) => void };

/** The one file every harness host is for, and its one piece (two blocks). */
export const FILE_ID = 'ab'.repeat(20);
export const PIECE = new Uint8Array(randomBytes(2 * BLOCK_SIZE));

/** A LinkHost for a one-piece file that records what the link asked of it (`refuse`: admit's answer). */
export function linkHost(options: { holds?: boolean; refuse?: string } = {}) {
  const have = new Bitfield(1);
  if (options.holds) have.set(0);
  const calls = { ready: 0, closed: [] as string[], blocks: [] as BlockFrame[], rejects: [] as BlockRef[], served: 0 };
  const h: LinkHost = {
    fileId: FILE_ID,
    pieceCount: 1,
    instanceId: asInstanceId(randomBytes(16).toString('hex')),
    have,
    uploadTurns: new UploadTurns(new TokenBucket(Infinity, Date.now)),
    canServe: (ref) => have.has(ref.piece) && ref.offset % BLOCK_SIZE === 0 && ref.length === BLOCK_SIZE,
    readPiece: async () => PIECE,
    admit: (_link: PeerLink, _instance: InstanceId) => options.refuse,
    ready: () => calls.ready++,
    peerHas: () => undefined,
    reject: (_link, ref) => calls.rejects.push(ref),
    // The frame's data is a view into the received message: keep a copy, as the swarm does.
    block: (_link, frame) => calls.blocks.push({ ...frame, data: frame.data.slice() }),
    served: (_link, bytes) => (calls.served += bytes),
    error: () => undefined,
    closed: (_link, reason) => calls.closed.push(reason),
  };
  return { h, calls };
}

/** Two links that signal each other directly (as through a tracker, a turn later); `a` dials. */
export function linkPair(t: After, a: LinkHost, b: LinkHost, connectTimeoutMs = 5_000) {
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const links: { a?: PeerLink; b?: PeerLink } = {};
  const common = { conn: asConnId('c-1'), iceServers: [], connector: network.connector(), connectTimeoutMs };
  links.a = new PeerLink({ ...common, peerId: asPresenceId('bobbobbob'), userId: 'bob', initiator: true, signal: async (_to, env) => void setImmediate(() => links.b!.signal(env.data)) }, a);
  links.b = new PeerLink({ ...common, peerId: asPresenceId('alicealice'), userId: 'alice', initiator: false, signal: async (_to, env) => void setImmediate(() => links.a!.signal(env.data)) }, b);
  t.after(() => {
    links.a!.close();
    links.b!.close();
  });
  return { a: links.a, b: links.b, network };
}

/** `downloader` (a real PeerLink to alice, dialling) and the other side's raw channel, whose frames are recorded. */
export async function linkToRaw(t: After, downloader: LinkHost) {
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  let raw!: ReturnType<ReturnType<MemoryNetwork['connector']>['connect']>;
  const link = new PeerLink(
    { conn: asConnId('c-2'), peerId: asPresenceId('alicealice'), userId: 'alice', initiator: true, iceServers: [], connector: network.connector(), connectTimeoutMs: 5_000, signal: async (_to, env) => void setImmediate(() => raw.signal(env.data)) },
    downloader,
  );
  raw = network.connector().connect({ initiator: false, iceServers: [], sendSignal: (data) => setImmediate(() => link.signal(data)) });
  t.after(() => link.close());
  const channel: PeerChannel = await raw.channel;
  const frames: Frame[] = [];
  const bytes: Uint8Array[] = [];
  channel.onFrame = (b) => {
    bytes.push(b);
    const d = decodeFrame(b);
    if (d.ok) frames.push(d.frame);
  };
  return { link, channel, frames, bytes, network };
}
