/** Where a single file downloaded by the command line goes (download_file's destination_path). */
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { FileSummary } from '../protocol/tracker.ts';
import { ConsoleError } from '../client/commands/run.ts';
import { PART_SUFFIX } from './platform/file-store.ts';

/**
 * Where a download goes: into `dest` if it is a directory (or ends with /),
 * else to `dest` itself. Refuses what would overwrite a file or cannot be
 * written, before anything is fetched.
 */
export async function destinationOf(file: Pick<FileSummary, 'name'>, dest: string): Promise<string> {
  const safeName = file.name.replace(/[/\\\0]/g, '_').replace(/^\.+$/, '_');
  const info = await stat(dest).catch(() => undefined);
  const target = info?.isDirectory() || /[/\\]$/.test(dest) ? join(resolve(dest), safeName) : resolve(dest);
  const dir = dirname(target);
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory()) throw new ConsoleError(`Cannot write to ${dest}: the folder ${dir} does not exist.`, 'local');
  if (await stat(target).catch(() => undefined)) throw new ConsoleError(`${target} already exists: give another destination, or remove it first.`, 'local');
  // Try it for real (permission bits say nothing to root, or on a read-only mount): create the part file, then let it go.
  const probe = target + PART_SUFFIX;
  try {
    await (await open(probe, 'wx', 0o644)).close();
    await rm(probe, { force: true });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'another download to the same place is under way' : 'permission denied';
    throw new ConsoleError(`Cannot write to ${dest}: ${why}.`, 'local');
  }
  return target;
}
