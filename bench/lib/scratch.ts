/**
 * A benchmark's scratch space: a temp data dir and the processes it started,
 * all stopped and removed by `cleanup()`, which also runs on Ctrl-C and on
 * an unhandled rejection (a benchmark that dies leaves no tracker behind).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Stoppable {
  stop(): Promise<void>;
}

export async function benchScratch(prefix: string): Promise<{ dataDir: string; started: Stoppable[]; cleanup: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const started: Stoppable[] = [];
  const cleanup = async () => {
    for (const p of started.splice(0).reverse()) await p.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.on('unhandledRejection', (err) => {
    console.error(err);
    void cleanup().then(() => process.exit(1));
  });
  return { dataDir, started, cleanup };
}
