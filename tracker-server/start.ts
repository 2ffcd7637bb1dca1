/**
 * The tracker's process, once main.ts has set V8 up: flags and environment →
 * configuration → a running tracker. Stops cleanly on SIGINT/SIGTERM.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomId } from './auth.ts';
import { configWarnings, parseConfig, USAGE, type CliConfig } from './config.ts';
import { installLastDefence } from './last-defence.ts';
import { DEFAULT_WEB_DIR, startTracker } from './server.ts';

/** A tracker keeps its name across restarts: it is the origin of its ops. */
async function trackerIdFor(config: CliConfig): Promise<string> {
  if (config.trackerId) return config.trackerId;
  const file = join(config.dataDir, 'tracker-id');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const id = `t-${randomId(6)}`;
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, id + '\n');
    return id;
  }
}

async function main(): Promise<void> {
  // Before anything can throw from a callback: see last-defence.ts for why the tracker stays up.
  installLastDefence();
  let config: CliConfig | 'help';
  try {
    config = parseConfig(process.argv.slice(2), process.env, hostname());
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (config === 'help') {
    console.log(USAGE);
    return;
  }
  for (const warning of configWarnings(config)) console.warn(`warning: ${warning}`);
  const tracker = await startTracker({
    ...config,
    dataDir: resolve(config.dataDir),
    trackerId: await trackerIdFor(config),
    webDir: config.webDir ? resolve(config.webDir) : DEFAULT_WEB_DIR,
  });
  if (tracker.tornBytes > 0) console.warn(`dropped ${tracker.tornBytes} torn bytes from the op log's tail (an unfinished write from a crash)`);
  console.log(`Meshdrop tracker "${config.name}" (${tracker.core.trackerId}) serving ${tracker.httpUrl} (WebSocket ${tracker.wsUrl}), data in ${resolve(config.dataDir)}`);
  const stop = () => {
    console.log('shutting down');
    void tracker.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// A failure to start is not for the last line of defence: it exits, with the reason.
await main().catch((err: unknown) => {
  console.error('tracker: could not start:', err);
  process.exit(1);
});
