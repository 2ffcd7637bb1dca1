/**
 * The tracker goes away mid-download: the transfer keeps going over the
 * existing peer channels, and when the tracker is back (restarted on the same
 * data) the clients resume their sessions, re-announce, and the download
 * completes. (Failover between two trackers is tested with the mesh.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { eventually, startTestTracker, tempDir } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('the tracker restarts mid-download: the transfer goes on and completes, presence comes back', async (t) => {
  const dataDir = await tempDir(t);
  const first = await startTestTracker(t, { dataDir });
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const [alice, bob] = await groupOf(t, first.wsUrl, 'team', ['alice', 'bob']);
  const a = await memoryEngine(t, alice!, network, { limits: { uploadBytesPerSecond: 1.5 * 1024 * 1024 } });
  const bytes = new Uint8Array(randomBytes(16 * PIECE_SIZE));
  const { fileId } = await a.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'live.bin', size: bytes.length, groupId: 'team', keep: 'original' });
  const b = await memoryEngine(t, bob!, network);
  const closes: string[] = [];
  b.engine.on('peer_closed', (e) => closes.push(e.reason));
  await b.engine.download(fileId);
  await eventually(() => assert.ok(b.engine.info(fileId)!.piecesDone >= 2, 'some pieces arrived'), 10_000);

  await first.close();
  const whileDown = b.engine.info(fileId)!.piecesDone;
  // With no tracker at all, pieces keep arriving over the open channel.
  await eventually(() => assert.ok(b.engine.info(fileId)!.piecesDone > whileDown + 1, 'progress without a tracker'), 10_000);
  assert.notEqual(bob!.status, 'connected');

  const second = await startTestTracker(t, { dataDir, port: first.port });
  // Back on the tracker and still downloading, bob asks for holders again and finds alice
  // under her new presence id: the dial reaches the peer he is already linked to.
  await eventually(() => assert.ok(closes.includes('already connected'), `closes: ${closes}`), 10_000);
  assert.equal(b.engine.info(fileId)!.state, 'downloading', 'the restart happened mid-download');
  await b.engine.whenComplete(fileId);
  const peers = b.engine.info(fileId)!.peers;
  assert.deepEqual(peers.map((p) => p.userId), ['alice'], 'one link to alice, counted once');
  assert.equal(peers[0]!.peerId, alice!.peerId, 'shown under her current presence id');
  assert.ok(closes.filter((c) => c === 'already connected').length <= 1, `no redial loop: ${closes}`);
  assert.equal(sha1(await readAll(b.engine, fileId)), sha1(bytes));

  // Both are back on the restarted tracker with their sessions, and bob's presence is re-announced in full.
  await eventually(() => assert.equal(bob!.status, 'connected'), 10_000);
  await eventually(async () => {
    const { holders } = await alice!.request('get_holders', { fileId });
    const h = holders.find((x) => x.userId === 'bob');
    assert.ok(h, 'bob is a holder again');
    assert.ok(Bitfield.fromBase64(16, h.bitfield).isComplete(), 'with every piece');
  }, 10_000);
  assert.equal(second.port, first.port);
});
