/**
 * `meshdrop seed`: a long-running peer. Resumes the saved session, resumes
 * and re-announces everything this machine holds for the user, serves it,
 * and with `--mirror <group>` downloads every file shared into the group
 * (now, later, and while it was offline) and serves it too. Plain log lines
 * on stdout, one event each; SIGTERM or SIGINT stops it cleanly (exit 0).
 * Tracker failover is the core's (client/tracker.ts): it keeps trying every
 * tracker it knows, and transfers in flight go on peer to peer meanwhile.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSummary } from '../protocol/tracker.ts';
import { describeError } from '../client/commands/errors.ts';
import { formatBytes } from '../client/commands/format.ts';
import { CliClient } from './client.ts';
import { Exit, type ExitCode } from './exit-codes.ts';
import { dataDir, loadSession } from './paths.ts';
import { FilePieceStore } from './platform/file-store.ts';
import { FileSource } from './platform/file-source.ts';
import { traceOf, trackersFor, type Flags, type Io } from './main.ts';

/** How often the seed looks for files a one-shot `upload_file` or `download_file` added meanwhile. */
const RESCAN_MS = 5_000;

export async function runSeed(flags: Flags, io: Io): Promise<ExitCode> {
  const log = (line: string) => io.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const session = await loadSession(io.env);
  const trackers = await trackersFor(flags, io);
  if (!session || !trackers?.length) {
    io.stderr.write('meshdrop seed needs a session: first meshdrop login <user> --tracker URL\n');
    return Exit.Auth;
  }
  const client = new CliClient({ trackers, env: io.env, limits: flags.limits, downloads: 'background', keepTrying: true, trace: traceOf(io) });
  let stopping = false;
  let exitCode: ExitCode = Exit.Ok;
  let stopped!: () => void;
  const done = new Promise<void>((r) => (stopped = r));
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stopped();
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    client.tracker.on('status', ({ status, url }) => {
      if (status === 'reconnecting') log('lost the tracker; trying the others');
      else if (status === 'connected') log(`connected to ${url}`);
    });
    client.tracker.on('sessionLost', ({ reason }) => {
      log(`the session ended (${reason}): meshdrop login again, then restart the seed`);
      stop('session ended');
    });
    // A tracker upgraded (or rolled back) under a running seed: the client stopped trying, so the seed stops
    // too, saying the tracker's words, with a failing status a service manager shows (and may restart on).
    client.tracker.on('refused', ({ message }) => {
      log(`the tracker refused this version of meshdrop: ${message}`);
      exitCode = Exit.Refused;
      stop('refused');
    });
    await client.open();
    if (!client.userId) {
      io.stderr.write('The saved session has ended: meshdrop login <user> again.\n');
      return Exit.Auth;
    }
    log(`signed in as ${client.userId} on ${client.tracker.url}`);
    const engine = client.engine();
    const store = client.store;
    engine.on('complete', ({ fileId }) => {
      const d = engine.info(fileId);
      // Said once the file has its real name on disk (the part file is renamed after the last record write).
      if (d && !d.shared) void store.settled(fileId).then(() => log(`downloaded ${d.name} (${formatBytes(d.size)}) in ${d.groupId}; serving it`));
    });
    engine.on('error', ({ message }) => log(`error: ${message}`));
    engine.on('stopped', ({ reason }) => log(reason));
    engine.on('peer_dropped', ({ userId, reason }) => log(`dropped peer ${userId}: ${reason}`));

    engine.on('recovered', ({ fileId, pieces }) => {
      const name = engine.info(fileId)?.name ?? fileId;
      log(`${name}: ${pieces} piece${pieces === 1 ? '' : 's'} found on disk after the last stop`);
    });
    await engine.start();
    const held = engine.downloads();
    log(`holding ${held.length} file${held.length === 1 ? '' : 's'}: ${held.filter((d) => d.state === 'complete').length} complete, serving`);

    // Files a one-shot command added while we run: pick them up and serve them.
    const filesDir = join(dataDir(client.userId, io.env), 'files');
    let adopting = false;
    const adopt = async () => {
      if (adopting || stopping) return;
      adopting = true;
      try {
        const names = await readdir(filesDir).catch(() => [] as string[]);
        const fresh = names.filter((n) => /^[0-9a-f]{40}\.json$/.test(n)).map((n) => n.slice(0, 40)).filter((id) => !engine.info(id));
        if (fresh.length === 0) return;
        const view = new FilePieceStore(filesDir);
        try {
          for (const fileId of fresh) {
            const rec = await view.getFile(fileId);
            const path = await view.pathOf(fileId);
            if (!rec || !path || rec.state !== 'complete') continue;
            store.assignPath(fileId, path, { original: true });
            await engine.share({ source: new FileSource(path, rec.meta.size), name: rec.meta.name, size: rec.meta.size, groupId: rec.meta.groupId, keep: 'original', pieceHashes: rec.meta.pieceHashes });
            log(`serving ${rec.meta.name} in ${rec.meta.groupId} (added by another meshdrop command)`);
          }
        } finally {
          await view.close();
        }
      } catch (err) {
        log(`could not pick up new files: ${describeError(err)}`);
      } finally {
        adopting = false;
      }
    };
    // Mirrors: every file of the group, now and as it is shared; again after each reconnection.
    const mirrorDir = (groupId: string) => join(dataDir(client.userId!, io.env), 'mirror', groupId);
    const mirrorFile = async (file: FileSummary) => {
      if (engine.info(file.fileId) || (await store.getFile(file.fileId))) return;
      const dir = mirrorDir(file.groupId);
      await mkdir(dir, { recursive: true });
      try {
        await client.downloadTo(file, dir + '/');
        log(`mirroring ${file.name} (${formatBytes(file.size)}) from ${file.groupId}`);
      } catch (err) {
        log(`cannot mirror ${file.name}: ${(err as Error).message ?? describeError(err)}`);
      }
    };
    const mirrorAll = async () => {
      for (const groupId of flags.mirror) {
        try {
          for (const file of await client.listFiles(groupId)) await mirrorFile(file);
        } catch (err) {
          log(`cannot mirror ${groupId}: ${describeError(err)}`);
        }
      }
    };
    client.tracker.on('event', (e) => {
      if (e.event === 'file_shared' && flags.mirror.includes(e.file.groupId)) void mirrorFile(e.file);
      if (e.event === 'file_shared' && e.file.sharedBy === client.userId) void adopt();
      if (e.event === 'file_stopped' && engine.info(e.fileId)) {
        const name = engine.info(e.fileId)!.name;
        void engine.remove(e.fileId).then(() => log(`${name} is no longer shared in ${e.groupId}; stopped serving it`));
      }
    });
    client.tracker.on('ready', () => void mirrorAll());
    if (flags.mirror.length) log(`mirroring ${flags.mirror.join(', ')}`);
    await mirrorAll();

    const rescan = setInterval(() => void adopt(), RESCAN_MS);
    await done;
    clearInterval(rescan);
    return exitCode;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await client.close();
    log('stopped');
  }
}
