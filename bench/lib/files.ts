/** Random files for the transfer benchmarks, written in 16 MiB chunks so a 4 GiB one is never whole in memory. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;
const CHUNK = 16 * MiB;

export async function randomFile(dir: string, name: string, mb: number): Promise<{ path: string; sha1: string; size: number }> {
  const path = join(dir, name);
  const hash = createHash('sha1');
  const out = createWriteStream(path);
  for (let left = mb * MiB; left > 0; left -= CHUNK) {
    const chunk = randomBytes(Math.min(CHUNK, left));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { path, sha1: hash.digest('hex'), size: mb * MiB };
}
