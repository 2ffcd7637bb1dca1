// Preloaded into a spawned tracker (NODE_OPTIONS=--import=…) by tests/integration/young-generation.test.ts:
// on SIGUSR2 it makes a burst of objects that all survive (as peers connecting leave state behind)
// and prints the size of V8's young generation afterwards.
import { getHeapSpaceStatistics } from 'node:v8';

const kept = [];
process.on('SIGUSR2', () => {
  for (let i = 0; i < 400_000; i++) kept.push({ i, name: `peer-${i}`, files: [i] });
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  console.log(`young generation after the burst: ${young.physical_space_size} bytes (${kept.length} kept)`);
});
