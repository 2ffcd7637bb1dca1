/** The hybrid clock takes remote stamps only up to a bound ahead of its own wall time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMOTE_CLOCK_AHEAD_MS } from '../../protocol/constants.ts';
import { HybridClock } from '../../tracker-server/clock.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;

test('an hlc a year ahead is refused and does not move the clock', () => {
  const wall = 1_700_000_000_000;
  const clock = new HybridClock(() => wall);
  const before = clock.stamp();
  assert.equal(clock.observe((wall + YEAR_MS) * 1000), false);
  const after = clock.stamp();
  assert.ok(after - before < 1000 * 1000, 'the next stamp is still about now');
});

test('an hlc up to the bound ahead is taken: the next stamp sorts after it', () => {
  let wall = 1_700_000_000_000;
  const clock = new HybridClock(() => wall);
  const edge = (wall + MAX_REMOTE_CLOCK_AHEAD_MS) * 1000;
  assert.equal(clock.accepts(edge), true);
  assert.equal(clock.accepts(edge + 1000), false, 'a millisecond past the bound is refused');
  assert.equal(clock.observe(edge), true);
  assert.ok(clock.stamp() > edge);
  // Once wall time has moved on, the same stamp that was too far ahead is fine.
  wall += 60_000;
  assert.equal(clock.accepts(edge + 1000), true);
});

test('nowMs is the time the next stamp will carry, even with the clock ahead of the wall', () => {
  const wall = 1_700_000_000_000;
  const clock = new HybridClock(() => wall);
  assert.equal(clock.nowMs(), wall);
  clock.observe((wall + 120_000) * 1000);
  assert.equal(clock.nowMs(), wall + 120_000);
  assert.ok(Math.floor(clock.stamp() / 1000) >= wall + 120_000);
});
