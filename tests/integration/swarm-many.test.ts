/**
 * One capped seeder, five downloaders at once: everyone finishes byte-exact,
 * and the downloaders serve each other, so the seeder sends far less than
 * five copies (seeding while downloading, at swarm scale).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { startTestTracker } from '../helpers/tracker.ts';
import { bytesSource, pieceHashesOf, groupOf, memoryEngine, MemoryNetwork, readAll } from '../helpers/memory-platform.ts';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

test('a swarm of five downloaders and one capped seeder: all finish, mostly from each other', async (t) => {
  const tracker = await startTestTracker(t);
  const network = new MemoryNetwork();
  t.after(() => network.closeAll());
  const users = ['seed', 'd1', 'd2', 'd3', 'd4', 'd5'];
  const clients = await groupOf(t, tracker.wsUrl, 'swarm', users);
  const seeder = await memoryEngine(t, clients[0]!, network, { limits: { uploadBytesPerSecond: 4 * 1024 * 1024 } });
  const bytes = new Uint8Array(randomBytes(24 * PIECE_SIZE));
  const { fileId } = await seeder.engine.share({ source: bytesSource(bytes), pieceHashes: pieceHashesOf(bytes), name: 'album.zip', size: bytes.length, groupId: 'swarm', keep: 'original' });
  const downloaders = await Promise.all(clients.slice(1).map((c) => memoryEngine(t, c, network)));
  await Promise.all(downloaders.map((d) => d.engine.download(fileId)));
  await Promise.all(downloaders.map((d) => d.engine.whenComplete(fileId)));

  for (const d of downloaders) assert.equal(sha1(await readAll(d.engine, fileId)), sha1(bytes));
  const fromSeeder = seeder.engine.info(fileId)!.uploaded;
  const amongThemselves = downloaders.reduce((n, d) => n + d.engine.info(fileId)!.uploaded, 0);
  assert.ok(fromSeeder < 3 * bytes.length, `the seeder sent ${(fromSeeder / bytes.length).toFixed(2)} copies for five downloaders`);
  assert.ok(amongThemselves > 2 * bytes.length, `the downloaders sent each other ${(amongThemselves / bytes.length).toFixed(2)} copies`);
  for (const d of downloaders) {
    const info = d.engine.info(fileId)!;
    assert.ok(info.downloaded >= bytes.length, 'each downloaded at least the file');
    assert.equal(info.dropped.length, 0, 'no honest peer was dropped');
  }
});
