/**
 * Pure (issue 10 item 3): which path a connection took, from the values of
 * RTCPeerConnection.getStats(), and the plain words for a holder that could
 * not be reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offersRelay, pathOfStats, unreachableReason, type StatsEntry } from '../../client/connection-path.ts';

const candidate = (id: string, candidateType: string): StatsEntry => ({ type: id.startsWith('L') ? 'local-candidate' : 'remote-candidate', id, candidateType });
const pair = (id: string, local: string, remote: string, extra: Partial<StatsEntry> = {}): StatsEntry => ({
  type: 'candidate-pair',
  id,
  localCandidateId: local,
  remoteCandidateId: remote,
  state: 'succeeded',
  nominated: true,
  ...extra,
});

test('the transport\'s selected pair decides: host or server-reflexive on both ends is direct, a relay on either end is relayed', () => {
  const cases: [string, string, 'direct' | 'relayed'][] = [
    ['host', 'host', 'direct'],
    ['srflx', 'prflx', 'direct'],
    ['host', 'srflx', 'direct'],
    ['relay', 'host', 'relayed'],
    ['srflx', 'relay', 'relayed'],
    ['relay', 'relay', 'relayed'],
  ];
  for (const [local, remote, expected] of cases) {
    const stats = [
      { type: 'transport', id: 'T1', selectedCandidatePairId: 'P2' },
      // Another pair, nominated too, that is not the one in use: ignored.
      pair('P1', 'L1', 'R1'),
      pair('P2', 'L2', 'R2'),
      candidate('L1', 'relay'),
      candidate('R1', 'relay'),
      candidate('L2', local),
      candidate('R2', remote),
    ];
    assert.equal(pathOfStats(stats), expected, `${local} ⇄ ${remote}`);
  }
});

test('without a selected pair id, a nominated succeeded pair (or Firefox\'s selected one) stands in', () => {
  assert.equal(pathOfStats([pair('P1', 'L1', 'R1', { nominated: false }), pair('P2', 'L2', 'R2'), candidate('L1', 'host'), candidate('R1', 'host'), candidate('L2', 'relay'), candidate('R2', 'host')]), 'relayed');
  assert.equal(pathOfStats([pair('P1', 'L1', 'R1', { nominated: false, state: 'succeeded', selected: true }), candidate('L1', 'host'), candidate('R1', 'srflx')]), 'direct');
});

test('no pair chosen yet, or candidates the stats do not name: the path is not known', () => {
  assert.equal(pathOfStats([]), undefined);
  assert.equal(pathOfStats([pair('P1', 'L1', 'R1', { state: 'in-progress' }), candidate('L1', 'host'), candidate('R1', 'host')]), undefined);
  assert.equal(pathOfStats([pair('P1', 'L1', 'R1', { nominated: false })]), undefined);
  assert.equal(pathOfStats([{ type: 'transport', id: 'T', selectedCandidatePairId: 'P1' }, pair('P1', 'L1', 'R1')]), undefined, 'candidates missing');
  assert.equal(pathOfStats([{ type: 'transport', id: 'T', selectedCandidatePairId: 'gone' }]), undefined);
});

test('a relay is on offer only with a turn: or turns: URL', () => {
  assert.equal(offersRelay([]), false);
  assert.equal(offersRelay([{ urls: 'stun:tracker.example:8080' }]), false);
  assert.equal(offersRelay([{ urls: ['stun:a:1', 'turn:a:3478?transport=udp'], username: 'u', credential: 'c' }]), true);
  assert.equal(offersRelay([{ urls: 'TURNS:relay.example:5349' }]), true);
});

test('the reason tells "no relay on offer" from "the relay failed too", naming the holder', () => {
  const none = unreachableReason('alice', [{ urls: 'stun:tracker.example:8080' }]);
  assert.equal(none, 'could not reach alice: this tracker offers no relay (TURN), and one of the two networks needs one');
  const relay = unreachableReason('bob', [{ urls: 'turn:relay.example:3478', username: 'u', credential: 'c' }]);
  assert.match(relay, /^could not reach bob, not even through this tracker's relay \(TURN\)/);
  assert.doesNotMatch(relay, /offers no relay/);
});
