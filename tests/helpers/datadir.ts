/**
 * Every op in a tracker's data dir as persisted, read without changing
 * anything (OpLog.open would cut torn tails): for "never persisted twice" and
 * "counted means on disk" checks. Reads both snapshot formats: 3 (JSON lines:
 * a header, then one op a line) and 2 (one JSON object).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Op } from '../../protocol/ops.ts';

export async function opsInDataDir(dataDir: string): Promise<Op[]> {
  const ops: Op[] = [];
  let fromGeneration = 0;
  let text: string | undefined;
  try {
    text = await readFile(join(dataDir, 'snapshot.json'), 'utf8');
  } catch {
    /* no snapshot yet */
  }
  if (text) {
    const [first, ...rest] = text.split('\n');
    const header = JSON.parse(first!) as { format: number; logGeneration: number; ops: Op[] | number };
    fromGeneration = header.logGeneration;
    if (header.format === 2) ops.push(...(header.ops as Op[]));
    else for (const line of rest) if (line) ops.push(JSON.parse(line) as Op);
  }
  const logs = (await readdir(dataDir))
    .map((name) => /^ops\.(\d+)\.log$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) >= fromGeneration)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  for (const m of logs) {
    for (const line of (await readFile(join(dataDir, m[0]), 'utf8')).split('\n')) {
      if (!line) continue;
      try {
        ops.push(JSON.parse(line) as Op);
      } catch {
        /* a torn tail */
      }
    }
  }
  return ops;
}
