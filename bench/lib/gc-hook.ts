/**
 * Benchmark-only preload for a tracker child process (`--import` this file,
 * with `--expose-gc`). It answers the benchmark over the IPC channel that only
 * a benchmark opens; the tracker's own code has no hook and no extra path.
 *
 *   'stats' → { at, cpuUserUs, cpuSystemUs, rss, heapUsed, external, arrayBuffers }
 *   'gc'    → the same, after two full garbage collections
 *
 * process.cpuUsage() is getrusage(RUSAGE_SELF): every thread of the process
 * (main, GC helpers, libuv pool), in microseconds.
 */
import { getHeapSpaceStatistics } from 'node:v8';

if (process.send) {
  const stats = () => {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      /** When the sample was taken (the tracker's clock, the machine's clock). */
      at: performance.timeOrigin + performance.now(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      /** V8's heap spaces, committed bytes each (new space grows under load and is part of RSS). */
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
    };
  };
  process.on('message', (msg: { id: number; cmd: 'stats' | 'gc' }) => {
    if (msg.cmd === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('gc-hook: start the tracker with --expose-gc');
      gc();
      gc();
    }
    process.send!({ id: msg.id, ...stats() });
  });
  // The IPC channel must not keep a tracker alive that was told to stop.
  process.channel?.unref();
}
