/**
 * A transfer engine over real WebRTC in Node: the command line's connector
 * (node-datachannel through simple-peer, cli/platform/net.ts), with pieces
 * kept in memory so a test or a benchmark measures the swarm, not a disk.
 * Closed at teardown.
 */
import type { TestContext } from 'node:test';
import { TransferEngine, type TransferLimits } from '../../client/engine.ts';
import type { TrackerClient } from '../../client/tracker.ts';
import { NodePeerConnector } from '../../cli/platform/net.ts';
import { MemoryPieceStore, nodeHasher, type MemoryPeer } from './memory-platform.ts';

export async function rtcEngine(t: Pick<TestContext, 'after'>, tracker: TrackerClient, limits: Partial<TransferLimits> = {}): Promise<MemoryPeer> {
  const store = new MemoryPieceStore();
  const engine = new TransferEngine({ tracker, store, hasher: nodeHasher, connector: new NodePeerConnector(), limits });
  t.after(() => engine.close());
  await engine.start();
  return { engine, store, tracker };
}
