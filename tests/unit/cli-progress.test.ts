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
  const text = s.out.join('');
  // What the user sees at each redraw: label, bar, percent, size, speed, extra.
  assert.match(text, /report\.pdf {2}█{20} +100% {2}2\.0 KB {2}.*\/s {2}2 peers/);
  // Redrawn in place: each frame returns to the line's start (CSI G) rather than printing a new line.
  assert.ok(text.includes('\x1b[1G'), JSON.stringify(text));
  assert.equal(s.out.filter((l) => l.includes('\n')).length, 1, 'one newline, at the end');
  assert.equal(s.out.at(-1), '\n');
});

test('silent without an output (--json)', () => {
  const p = new Progress(undefined, 'x', 10);
  p.update(5);
  p.finish();
});
