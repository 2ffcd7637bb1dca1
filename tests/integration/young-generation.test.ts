/**
 * The tracker process keeps V8's young generation at its starting size
 * (tracker-server/young-generation.ts; issue 12 item 2, RSS per idle peer).
 * Without it a burst of state that survives (the state loading, thousands of
 * peers connecting) doubles the young generation up to 32 MiB resident, and
 * V8 keeps it for as long as the tracker stays busy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { eventually, spawnTracker, tempDir } from '../helpers/tracker.ts';
import { growthFactorChosen } from '../../tracker-server/young-generation.ts';

const PROBE = fileURLToPath(new URL('../helpers/young-generation-probe.mjs', import.meta.url));
const MiB = 1024 * 1024;

test('a burst of surviving objects does not grow the tracker process young generation', async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir, '--tracker-id', 'young'], {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE}`.trim(),
  });
  tracker.process.kill('SIGUSR2');
  const line = await eventually(() => {
    const m = /young generation after the burst: (\d+) bytes/.exec(tracker.output());
    assert.ok(m, `no probe line yet:\n${tracker.output()}`);
    return m;
  }, 20_000);
  const bytes = Number(line[1]);
  // V8 starts it at 1 MiB a semi-space (2 MiB resident); grown, it reaches 32 MiB.
  assert.ok(bytes <= 4 * MiB, `young generation grew to ${(bytes / MiB).toFixed(1)} MiB`);
});

test('a growth factor given on node\'s command line is the operator\'s choice', () => {
  assert.equal(growthFactorChosen(['--semi-space-growth-factor=2']), true);
  assert.equal(growthFactorChosen(['--expose-gc', '--semi_space_growth_factor', '4']), true);
  assert.equal(growthFactorChosen(['--expose-gc', '--max-semi-space-size=8']), false);
  assert.equal(growthFactorChosen([]), false);
});
