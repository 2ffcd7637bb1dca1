/**
 * The Dialer's rules for a peer that dials us again, driven directly: a
 * connector that records each connection attempt and opens none on its own,
 * a tracker port that drops signals, and a clock the test moves. No
 * channel, no swarm, no waiting.
 *
 * The defect these pin down (issue 12, swarm-fair-share's "undialled
 * holder"): a downloader's first dial failed on its side only, before the
 * channel opened (node-datachannel refuses an early remote candidate now and
 * then), so the seeder still held the connection it had accepted, waiting.
 * The downloader redialled REDIAL_MS later with a new connection id. A seeder
 * whose presence id was the smaller one took its own stale, accepted link for
 * a simultaneous dial of its own, which wins, and ignored the new dial: the
 * redial hung until the 20 s connect timeout, and the holder stayed unlinked
 * for the whole download.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../protocol/bitfield.ts';
import { asConnId, asInstanceId, asPresenceId } from '../../protocol/ids.ts';
import { Dialer, redialDelay } from '../../client/dialer.ts';
import type { LinkHost, PeerLink } from '../../client/peer-link.ts';
import type { PeerChannel, PeerConnector, SwarmTracker } from '../../client/ports.ts';
import { TokenBucket } from '../../client/rate.ts';
import { UploadTurns } from '../../client/upload-turns.ts';

const PIECES = 4;

/** One attempt the connector was asked for: what it was fed, whether it was torn down; fail() ends it as a transport error would. */
interface Attempt {
  initiator: boolean;
  fed: unknown[];
  destroyed: boolean;
  fail(): void;
}

function world(t: { after: (fn: () => void) => void }, ownId: string) {
  const attempts: Attempt[] = [];
  const connector: PeerConnector = {
    connect({ initiator }) {
      let fail!: () => void;
      const channel = new Promise<PeerChannel>((_resolve, reject) => (fail = () => reject(new Error('the transport failed'))));
      const attempt: Attempt = { initiator, fed: [], destroyed: false, fail };
      attempts.push(attempt);
      return {
        signal: (data: unknown) => void attempt.fed.push(data),
        channel,
        destroy: () => void (attempt.destroyed = true),
      };
    },
  };
  const tracker: SwarmTracker = {
    peerId: asPresenceId(ownId),
    iceServers: [],
    announce: async () => undefined,
    have: async () => undefined,
    holders: async () => [],
    signal: async () => undefined,
  };
  const closed: { conn: string; reason: string }[] = [];
  let clock = 0;
  const upload = new TokenBucket(Infinity, () => clock);
  // Only `closed` is reached in these tests: no channel ever opens.
  const host: LinkHost = {
    fileId: 'f',
    pieceCount: PIECES,
    instanceId: asInstanceId('a'.repeat(32)),
    have: new Bitfield(PIECES),
    uploadTurns: new UploadTurns(upload),
    canServe: () => false,
    readPiece: async () => undefined,
    admit: () => undefined,
    ready: () => undefined,
    peerHas: () => undefined,
    reject: () => undefined,
    block: () => undefined,
    served: () => undefined,
    error: () => undefined,
    closed: (link: PeerLink, reason: string) => {
      closed.push({ conn: link.conn, reason });
      dialer.forget(link);
    },
  };
  const dialer: Dialer = new Dialer({
    fileId: 'f',
    pieceCount: PIECES,
    instanceId: host.instanceId,
    tracker,
    connector,
    maxPeers: () => 12,
    now: () => clock,
    connectTimeoutMs: 60_000,
    banned: new Set(),
    host,
  });
  // Every link still waiting holds a connect timer: none outlives the test.
  t.after(() => dialer.closeAll());
  return {
    dialer,
    attempts,
    closed,
    advance: (ms: number) => void (clock += ms),
    /** Their dial's offer (or a later signal) on connection `conn`. */
    offer: (from: string, conn: string, data: unknown = { type: 'offer', sdp: conn }) => dialer.onSignal(asPresenceId(from), 'them', { conn, data }),
  };
}

const allPieces = (() => {
  const b = new Bitfield(PIECES);
  for (let i = 0; i < PIECES; i++) b.set(i);
  return b.toBase64();
})();

// Presence ids compare as strings: 'A…' < 'Z…'.
const SMALL = 'AAAAAAAAAAAAAAAA';
const LARGE = 'ZZZZZZZZZZZZZZZZ';

test('a peer that dials again after its first dial failed is answered, even by the side with the smaller presence id', (t) => {
  const w = world(t, SMALL); // the seeder: its id is the smaller of the two
  w.offer(LARGE, 'dl-1');
  assert.equal(w.attempts.length, 1, 'the first dial was accepted');
  assert.equal(w.attempts[0]!.initiator, false);
  // Their attempt failed on their side only; ours still waits. They redial under a new connection id.
  w.offer(LARGE, 'dl-2');
  assert.equal(w.attempts.length, 2, 'the new dial was accepted, not ignored as the loser of a simultaneous dial');
  assert.equal(w.attempts[1]!.initiator, false);
  assert.deepEqual(w.attempts[1]!.fed, [{ type: 'offer', sdp: 'dl-2' }], 'the new offer reached the new connection');
  assert.ok(w.attempts[0]!.destroyed, 'the stale accepted connection was torn down');
  assert.deepEqual(w.closed.map((c) => c.conn), ['dl-1']);
  assert.equal(w.dialer.size, 1);
  assert.ok(w.dialer.get(asConnId('dl-2')), 'the new connection is the one kept');
  // A straggler of the stale connection starts nothing.
  w.offer(LARGE, 'dl-1', { candidate: 'late' });
  assert.equal(w.attempts.length, 2);
  t.diagnostic('closed: ' + JSON.stringify(w.closed));
});

test('the same, on the side with the larger presence id', (t) => {
  const w = world(t, LARGE);
  w.offer(SMALL, 'dl-1');
  w.offer(SMALL, 'dl-2');
  assert.equal(w.attempts.length, 2);
  assert.ok(w.attempts[0]!.destroyed);
  assert.equal(w.dialer.size, 1);
  assert.ok(w.dialer.get(asConnId('dl-2')));
});

test('a simultaneous dial still leaves one connection: the dial of the smaller presence id', (t) => {
  // We are the smaller: their dial loses, ours stays.
  const small = world(t, SMALL);
  small.dialer.noteHolder(asPresenceId(LARGE), 'them', allPieces);
  small.dialer.dialHolders();
  assert.equal(small.attempts.length, 1);
  assert.equal(small.attempts[0]!.initiator, true);
  small.offer(LARGE, 'theirs');
  assert.equal(small.attempts.length, 1, 'their dial was ignored');
  assert.equal(small.attempts[0]!.destroyed, false, 'our dial goes on');
  assert.equal(small.dialer.size, 1);

  // We are the larger: our dial gives way to theirs.
  const large = world(t, LARGE);
  large.dialer.noteHolder(asPresenceId(SMALL), 'them', allPieces);
  large.dialer.dialHolders();
  large.offer(SMALL, 'theirs');
  assert.equal(large.attempts.length, 2);
  assert.ok(large.attempts[0]!.destroyed, 'our dial was closed');
  assert.equal(large.attempts[1]!.initiator, false);
  assert.ok(large.dialer.get(asConnId('theirs')));
  assert.equal(large.dialer.size, 1);
});

const settle = () => new Promise((r) => setImmediate(r));

test('a dial whose transport failed is made again soon, waiting twice as long after each failure in a row up to REDIAL_MS', async (t) => {
  const w = world(t, LARGE); // the downloader
  w.dialer.noteHolder(asPresenceId(SMALL), 'seeder', allPieces);
  w.dialer.dialHolders();
  assert.equal(w.attempts.length, 1);
  // node-datachannel's moment's refusal can come twice running: 500 ms, 1 s, 2 s, 4 s, then REDIAL_MS.
  for (const [i, wait] of [500, 1_000, 2_000, 4_000, 5_000, 5_000].entries()) {
    w.attempts[i]!.fail();
    await settle();
    assert.equal(w.dialer.size, 0, 'the failed link is gone');
    w.advance(wait - 1);
    w.dialer.dialHolders();
    assert.equal(w.attempts.length, i + 1, `too soon after failure ${i + 1}`);
    w.advance(1);
    w.dialer.dialHolders();
    assert.equal(w.attempts.length, i + 2, `redialled ${wait} ms after failure ${i + 1}`);
    assert.equal(w.attempts[i + 1]!.initiator, true);
  }
});

test('redialDelay: the full REDIAL_MS unless transports failed, then from 500 ms doubling to it', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(redialDelay), [5_000, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
});

test('a dial refused as busy waits the full REDIAL_MS: only a failed transport is retried soon', async (t) => {
  const w = world(t, LARGE);
  w.dialer.noteHolder(asPresenceId(SMALL), 'seeder', allPieces);
  w.dialer.dialHolders();
  const link = [...w.dialer.links()][0]!;
  w.dialer.onSignal(asPresenceId(SMALL), 'seeder', { conn: link.conn, data: null, busy: true });
  assert.equal(w.dialer.size, 0, 'busy closed the dial');
  w.advance(4_999);
  w.dialer.dialHolders();
  assert.equal(w.attempts.length, 1);
  w.advance(1);
  w.dialer.dialHolders();
  assert.equal(w.attempts.length, 2);
});
