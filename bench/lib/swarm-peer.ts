/**
 * One peer of bench/swarm.ts, in a process of its own: the client core
 * (TransferEngine) over the command line's platform for peers
 * (node-datachannel through simple-peer, the browsers' connector) and a
 * tracker connection over `ws`, pieces kept in memory so the figure is about
 * the swarm, not a disk. Driven over IPC by the benchmark:
 *
 *   { id, cmd: 'login', url, userId, limits }      → {}
 *   { id, cmd: 'request', type, body }             → the tracker's reply
 *   { id, cmd: 'share', mb, groupId }              → { fileId }
 *   { id, cmd: 'download', fileId }                → { startedAt, doneAt } once complete (Date.now(), ms)
 *   { id, cmd: 'remove', fileId }                  → {}
 *   { id, cmd: 'info', fileId }                    → { uploaded, downloaded, peers }
 */
import { randomBytes } from 'node:crypto';
import { TransferEngine } from '../../client/engine.ts';
import type { TransferLimits } from '../../client/engine-types.ts';
import { NodePeerConnector } from '../../cli/platform/net.ts';
import { connectClient } from '../../tests/helpers/tracker.ts';
import { bytesSource, MemoryPieceStore, nodeHasher, pieceHashesOf } from '../../tests/helpers/memory-platform.ts';
import type { TrackerClient } from '../../client/tracker.ts';

const teardowns: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void teardowns.push(fn) };
let client: TrackerClient | undefined;
let engine: TransferEngine | undefined;

type Msg = { id: number; cmd: string; [k: string]: unknown };

async function handle(m: Msg): Promise<unknown> {
  switch (m.cmd) {
    case 'login': {
      client = await connectClient(t, m.url as string);
      const userId = m.userId as string;
      await client.request('create_user', { userId, password: 'password1' }).catch((err: { code?: string }) => {
        if (err.code !== 'user_exists') throw err;
      });
      await client.login(userId, 'password1');
      engine = new TransferEngine({ tracker: client, store: new MemoryPieceStore(), hasher: nodeHasher, connector: new NodePeerConnector(), limits: m.limits as Partial<TransferLimits> });
      await engine.start();
      return {};
    }
    case 'request':
      return client!.request(m.type as never, m.body as never);
    case 'share': {
      const bytes = new Uint8Array(randomBytes((m.mb as number) * 1024 * 1024));
      return engine!.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'swarm.bin', size: bytes.length, groupId: m.groupId as string, keep: 'original' });
    }
    case 'download': {
      const fileId = m.fileId as string;
      const startedAt = Date.now();
      await engine!.download(fileId);
      await engine!.whenComplete(fileId);
      return { startedAt, doneAt: Date.now() };
    }
    case 'remove':
      await engine!.remove(m.fileId as string);
      return {};
    case 'info': {
      const info = engine!.info(m.fileId as string);
      return { uploaded: info?.uploaded ?? 0, downloaded: info?.downloaded ?? 0, peers: info?.peers.map((p) => ({ userId: p.userId, downloaded: p.downloaded, uploaded: p.uploaded })) ?? [] };
    }
    case 'exit':
      engine?.close();
      for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
      setTimeout(() => process.exit(0), 50);
      return {};
  }
  throw new Error(`unknown command ${m.cmd}`);
}

process.on('message', (m: Msg) => {
  handle(m).then(
    (result) => process.send!({ id: m.id, ok: true, result }),
    (err: Error) => process.send!({ id: m.id, ok: false, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
