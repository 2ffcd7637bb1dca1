/** bench/lib/udp-drops.ts: reading the kernel's UDP counters and the drop share between two readings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropsPerMille, parseUdpCounters } from '../../bench/lib/udp-drops.ts';

const snmp = (received: number, drops: number) =>
  [
    'Ip: Forwarding DefaultTTL',
    'Ip: 1 64',
    'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
    `Udp: ${received} 232 ${drops} 561808 ${drops} 0 0 0 0`,
    'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
    'UdpLite: 7 0 0 0 9 0 0 0 0',
  ].join('\n');
const snmp6 = (received: number, drops: number) =>
  [`Udp6InDatagrams                 \t${received}`, 'Udp6NoPorts                     \t491', `Udp6RcvbufErrors                \t${drops}`, 'UdpLite6InDatagrams \t5'].join('\n');

test('IPv4 and IPv6 counters add up; UdpLite lines are not UDP', () => {
  assert.deepEqual(parseUdpCounters(snmp(500, 40), snmp6(1000, 60)), { received: 1500, bufferDrops: 100 });
});

test('a machine without IPv6 (or without /proc) counts zero there, not NaN', () => {
  assert.deepEqual(parseUdpCounters(snmp(10, 2), ''), { received: 10, bufferDrops: 2 });
  assert.deepEqual(parseUdpCounters('', ''), { received: 0, bufferDrops: 0 });
});

test('the share counts a dropped datagram among those that arrived', () => {
  // 990 delivered and 10 dropped between the readings: 10 of 1,000 is 10 per mille.
  const before = parseUdpCounters(snmp(100, 5), snmp6(0, 0));
  const after = parseUdpCounters(snmp(1090, 15), snmp6(0, 0));
  assert.equal(dropsPerMille(before, after), 10);
});

test('nothing arrived: no share, not a division by zero', () => {
  const same = parseUdpCounters(snmp(7, 1), snmp6(3, 0));
  assert.equal(dropsPerMille(same, same), 0);
});
