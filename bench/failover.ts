/**
 * Failover from a silent tracker: two linked trackers, a client on the first
 * through a TCP proxy that is then frozen (sockets open, nothing crosses: a
 * host that vanished). Times how long a request sent into the silence takes
 * to be answered by the other tracker, with the client's default timeouts;
 * and, for comparison, with the busy ping switched off (only the idle ping,
 * the behaviour before it existed).
 *
 *   npm run bench -- failover [--runs 3] [--idle-only-runs 1]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { TrackerClient } from '../client/tracker.ts';
import { startTestTracker, wsFactory } from '../tests/helpers/tracker.ts';
import { startProxy } from '../tests/helpers/proxy.ts';
import { median, round } from './lib/stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'idle-only-runs': { type: 'string', default: '1' } } });

async function once(idleOnly: boolean): Promise<{ ms: number; answeredBy: string | undefined }> {
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
  try {
    const a = await startTestTracker(t, { trackerId: 'ta', secret: 'bench-secret' });
    const b = await startTestTracker(t, { trackerId: 'tb', secret: 'bench-secret', peers: [`ws://127.0.0.1:${a.port}`] });
    const proxy = await startProxy(t, a.port);
    const client = new TrackerClient({
      urls: [`ws://127.0.0.1:${proxy.port}/ws`, b.wsUrl],
      createSocket: wsFactory,
      // Idle-only: no busy ping, and a request timeout long enough to see the idle ping's failover.
      ...(idleOnly ? { requestPingMs: 1e9, requestTimeoutMs: 60_000 } : {}),
    });
    cleanups.unshift(() => client.close());
    await client.connect();
    await client.request('create_user', { userId: 'bench', password: 'password1' });
    await client.login('bench', 'password1');
    for (let i = 0; i < 200 && !b.core.state.users.has('bench'); i++) await new Promise((r) => setTimeout(r, 25));
    proxy.freeze();
    const start = performance.now();
    await client.request('create_group', { groupId: 'g' });
    const ms = performance.now() - start;
    proxy.cut();
    return { ms, answeredBy: client.trackerId };
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

const runs = Number(values.runs);
const idleOnlyRuns = Number(values['idle-only-runs']);
const busy: number[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once(false);
  busy.push(r.ms);
  console.log(`default timeouts, run ${i + 1}: answered by ${r.answeredBy} after ${round(r.ms)} ms`);
}
const idle: number[] = [];
for (let i = 0; i < idleOnlyRuns; i++) {
  const r = await once(true);
  idle.push(r.ms);
  console.log(`idle ping only, run ${i + 1}: answered by ${r.answeredBy} after ${round(r.ms)} ms`);
}
console.log(
  JSON.stringify({
    bench: 'failover',
    silentTrackerFailoverMs: { median: round(median(busy)), max: round(Math.max(...busy)), runs },
    idlePingOnlyFailoverMs: idle.length ? { median: round(median(idle)), runs: idleOnlyRuns } : null,
  }),
);
