/**
 * The machine's UDP receive counters (IPv4 and IPv6 together), from
 * /proc/net/snmp and /proc/net/snmp6 (Linux). A WebRTC data channel's
 * datagrams are dropped here when its socket's receive buffer is full, that
 * is when the network service is late to read it, and SCTP backs off for
 * each loss. On the fast machine of sessions 11–12 the rate followed this
 * figure; on the 2-core machine of session 14 it hardly did (correlation
 * −0.16 over 76 runs, docs/transfer-profile.md), so read it beside the
 * CPU figures, not instead of them. The counters are the whole machine's:
 * read them around one transfer at a time.
 */
import { readFile } from 'node:fs/promises';

export interface UdpCounters {
  received: number;
  bufferDrops: number;
}

/** The value of `name` in /proc/net/snmp's `Udp:` header/value line pair. */
function snmpField(text: string, name: string): number {
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const [header, values] = [lines[0]?.split(/\s+/) ?? [], lines[1]?.split(/\s+/) ?? []];
  const i = header.indexOf(name);
  return i > 0 ? Number(values[i] ?? 0) : 0;
}

/** The value of `name` in /proc/net/snmp6's one-counter-per-line format. */
function snmp6Field(text: string, name: string): number {
  const m = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** The counters in the texts of /proc/net/snmp and /proc/net/snmp6; a missing text or field counts 0. */
export function parseUdpCounters(snmp: string, snmp6: string): UdpCounters {
  return {
    received: snmpField(snmp, 'InDatagrams') + snmp6Field(snmp6, 'Udp6InDatagrams'),
    bufferDrops: snmpField(snmp, 'RcvbufErrors') + snmp6Field(snmp6, 'Udp6RcvbufErrors'),
  };
}

export async function udpCounters(): Promise<UdpCounters> {
  const [v4, v6] = await Promise.all([readFile('/proc/net/snmp', 'utf8').catch(() => ''), readFile('/proc/net/snmp6', 'utf8').catch(() => '')]);
  return parseUdpCounters(v4, v6);
}

/** Per mille of the datagrams that reached a socket between two readings and were dropped for a full receive buffer. */
export function dropsPerMille(before: UdpCounters, after: UdpCounters): number {
  const dropped = after.bufferDrops - before.bufferDrops;
  const arrived = after.received - before.received + dropped;
  return arrived > 0 ? (1000 * dropped) / arrived : 0;
}
