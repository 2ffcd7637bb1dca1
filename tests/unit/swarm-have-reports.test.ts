/**
 * A downloader tells the tracker of its new pieces in batches, not one
 * message per piece: each report costs the tracker a frame in, a reply and a
 * holders_changed push to everyone watching the file, and the downloading
 * browser a WebSocket send and receive (docs/transfer-profile.md). Peers it
 * is linked to still hear of each piece at once (the have frame). The first
 * piece and the last are reported at once: others learn at once that it has
 * something to offer, and that it holds the whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { memorySwarmWorld, memoryFile, swarmPeer, whenComplete } from '../helpers/memory-tracker.ts';

test('a downloader reports its pieces to the tracker in a few batches, the first and the last at once', async (t) => {
  const { hub, network } = memorySwarmWorld(t);
  const pieces = 40;
  const file = memoryFile(pieces * PIECE_SIZE);
  await swarmPeer(t, hub, network, 'alice', file, { seed: true });
  const d = await swarmPeer(t, hub, network, 'dave', file, { start: false });
  const reports: { pieces: number[]; verifiedSoFar: number }[] = [];
  const have = d.port.have.bind(d.port);
  d.port.have = (fileId, ps) => {
    reports.push({ pieces: [...ps], verifiedSoFar: d.events.verified.length });
    return have(fileId, ps);
  };
  let reportsAtComplete = -1;
  d.swarm.on('complete', () => (reportsAtComplete = reports.length));
  await d.swarm.start();
  await whenComplete(d);

  const reported = reports.flatMap((r) => r.pieces).sort((a, b) => a - b);
  assert.deepEqual(reported, [...Array(pieces).keys()], 'every piece reported once');
  assert.ok(reports.length <= pieces / 4, `${reports.length} reports for ${pieces} pieces: ${JSON.stringify(reports.map((r) => r.pieces.length))}`);
  assert.deepEqual(reports[0]!.pieces.length, 1, 'the first piece goes alone, at once');
  assert.equal(reports[0]!.verifiedSoFar, 1);
  // The report that completes the file leaves as the last piece verifies, before anyone hears "complete".
  assert.equal(reportsAtComplete, reports.length, 'nothing left to report once complete');
  assert.equal(reports.at(-1)!.verifiedSoFar, pieces);
  // Held in the tracker's view at once: a newcomer finds the whole file there.
  assert.equal(d.port.announced.get(file.fileId)?.count(), pieces);
});
