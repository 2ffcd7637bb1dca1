/** Progress: a bar redrawn in place on a terminal, a plain line per 10% elsewhere, nothing when silent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../cli/progress.ts';

const sink = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, isTTY, write: (s: string) => out.push(s) };
};

test('plain lines when the output is not a terminal: one per 10%, no control characters', () => {
  const s = sink(false);
  const p = new Progress(s, 'Hashing a.bin', 1000);
  for (let b = 0; b <= 1000; b += 10) p.update(b);
  p.finish();
  assert.equal(s.out.length, 11);
  assert.equal(s.out.at(-1), 'Hashing a.bin 100%\n');
  assert.ok(s.out.every((l) => !/[\r\x1b]/.test(l)));
});

test('on a terminal a bar redrawn in place, ended by a newline', () => {
  const s = sink(true);
  const p = new Progress(s, 'report.pdf', 2048);
  p.update(1024, '2 peers');
  p.update(2048, '2 peers');
  p.finish();
  assert.match(s.out[0]!, /^\r\x1b\[2Kreport\.pdf {2}█{10}░{10} +50\.0% {2}2\.0 KB {2}.*\/s {2}2 peers$/);
  assert.match(s.out.at(-2)!, /█{20} +100%/);
  assert.equal(s.out.at(-1), '\n');
});

test('silent without an output (--json)', () => {
  const p = new Progress(undefined, 'x', 10);
  p.update(5);
  p.finish();
});
