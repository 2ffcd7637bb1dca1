/**
 * A real small file system for full-disk tests: a tmpfs of a few MiB mounted
 * on a fresh directory (needs root, as CI has), and a filler file to fill it.
 * If the mount fails the test fails: a full-disk test that silently skips
 * proves nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Teardown } from './tracker.ts';

export interface SmallDisk {
  /** The mount point. */
  root: string;
  /** Fills the disk completely (up to the last page), or all but `leaveBytes`. */
  fill(leaveBytes?: number): Promise<void>;
  /** Removes the filler: the space is back. */
  free(): Promise<void>;
}

export async function smallDisk(t: Teardown, sizeBytes = 2 * 1024 * 1024): Promise<SmallDisk> {
  const root = await mkdtemp(join(tmpdir(), 'meshdrop-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', root], { stdio: 'pipe' });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`could not mount a tmpfs on ${root} (full-disk tests need root): ${(err as { stderr?: Buffer }).stderr ?? err}`);
  }
  t.after(async () => {
    // Lazy: a tracker process may still be letting go of its files.
    execFileSync('umount', ['-l', root], { stdio: 'pipe' });
    await rm(root, { recursive: true, force: true });
  });
  const filler = join(root, 'filler');
  return {
    root,
    async fill(leaveBytes = 0) {
      const handle = await open(filler, 'a');
      const block = Buffer.alloc(64 * 1024, 0x78);
      try {
        for (;;) {
          try {
            const { bytesWritten } = await handle.write(block);
            if (bytesWritten < block.length) break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
        // tmpfs may still hold a part page: fill it byte-wise in smaller writes.
        for (const size of [4096, 512, 1]) {
          const small = Buffer.alloc(size, 0x78);
          for (;;) {
            try {
              const { bytesWritten } = await handle.write(small);
              if (bytesWritten < size) break;
            } catch {
              break;
            }
          }
        }
      } finally {
        await handle.close();
      }
      if (leaveBytes > 0) {
        const { size } = await stat(filler);
        await truncate(filler, Math.max(0, size - leaveBytes));
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
  };
}
