import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise } from '../../bench/lib/cpu-profile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

test('a CPU profile is summarised as self time per function, idle apart, biggest first', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('toBlob', 'http://127.0.0.1:1/assets/harness-x.js?v=1', 9) },
      { id: 4, callFrame: frame('send') },
      // The same function reached by another path: one row.
      { id: 5, callFrame: frame('toBlob', 'http://127.0.0.1:1/assets/harness-x.js?v=1', 9) },
    ],
    samples: [2, 3, 4, 5, 2, 3],
    timeDeltas: [4000, 1000, 500, 1000, 3500, 0],
    startTime: 0,
    endTime: 10_000,
  };
  const s = summarise(profile, 5);
  assert.equal(s.totalMs, 10);
  assert.equal(s.busyMs, 3);
  assert.deepEqual(
    s.top.map((r) => [r.where, r.selfMs]),
    [
      ['toBlob (harness-x.js:10)', 2],
      ['send', 1],
    ],
  );
  assert.equal(s.top[0]!.share, 20);
});
