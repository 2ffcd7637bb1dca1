/**
 * A member removed from a group loses the group's files for real: the tracker
 * refuses them new signals and holders, and the other members' engines hang
 * up the peer connections already open to them (a tracker cannot close a
 * WebRTC channel between two browsers), so a download in progress stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { eventually, startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork } from '../helpers/memory-platform.ts';

test('removing a member closes the peer connections other members have open to them', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, tracker.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network);
  // bob downloads slowly, so the transfer is still running when he is removed.
  const b = await memoryEngine(t, bob!, network, { limits: { downloadBytesPerSecond: PIECE_SIZE / 4 } });
  const bytes = new Uint8Array(randomBytes(8 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'big.bin', size: bytes.length, groupId: 'team', keep: 'original' });
  void b.engine.download(fileId).catch(() => undefined);
  await eventually(() => assert.ok(a.engine.info(fileId)!.peers.some((p) => p.userId === 'bob' && p.connected), 'alice serves bob'));

  await alice!.request('remove_member', { groupId: 'team', userId: 'bob' });
  await eventually(() => assert.deepEqual(a.engine.info(fileId)!.peers.filter((p) => p.connected).map((p) => p.userId), [], 'alice hung up on bob'));
  await eventually(() => assert.deepEqual(b.engine.info(fileId)!.peers.filter((p) => p.connected).map((p) => p.userId), [], 'bob has no peer left'));
  assert.notEqual(b.engine.info(fileId)!.state, 'complete', 'the download did not finish');
});
