/** The chunked line reader behind log replay: every split of the bytes gives the same lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines, type Line } from '../../tracker-server/store/lines.ts';
import { tempDir } from '../helpers/tracker.ts';

async function linesOf(path: string, chunk: number): Promise<Line[]> {
  const handle = await open(path, 'r');
  try {
    const out: Line[] = [];
    for await (const line of readLines(handle, chunk)) out.push(line);
    return out;
  } finally {
    await handle.close();
  }
}

/** What the reader must give, computed the simple way. */
function expected(bytes: Buffer): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    out.push({ text: bytes.toString('utf8', start, end), start, end, complete: nl !== -1 });
    start = end + 1;
  }
  return out;
}

test('lines come out whole at every chunk size, multi-byte characters cut by a boundary included', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'f');
  // Empty lines, 2-, 3- and 4-byte characters, a line longer than any chunk, and a last line with no newline.
  const text = '{"a":1}\n\n€uro ünï 😀\n' + 'x'.repeat(300) + '😀\n' + 'z\n' + 'tail without newline 😀';
  const bytes = Buffer.from(text);
  await writeFile(path, bytes);
  const want = expected(bytes);
  for (const chunk of [1, 2, 3, 4, 5, 7, 16, 64, 299, 300, 301, 1024, 1 << 20]) {
    assert.deepEqual(await linesOf(path, chunk), want, `chunk size ${chunk}`);
  }
});

test('a file ending in a newline has no incomplete last line; an empty file has no lines', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'f');
  await writeFile(path, 'a\nb\n');
  for (const chunk of [1, 2, 3, 8]) {
    const lines = await linesOf(path, chunk);
    assert.deepEqual(lines.map((l) => [l.text, l.complete]), [['a', true], ['b', true]]);
    assert.deepEqual(lines.map((l) => [l.start, l.end]), [[0, 1], [2, 3]]);
  }
  await writeFile(path, '');
  assert.deepEqual(await linesOf(path, 4), []);
});
