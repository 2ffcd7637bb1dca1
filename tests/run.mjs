#!/usr/bin/env node
// Runs every *.test.ts under tests/ with Node's own test runner (TypeScript through tsx).
// `node tests/run.mjs unit integration` runs only those folders. `nat` builds network namespaces: root only.
// One file at a time by default: e2e files start several Chromium processes and
// crash tests kill trackers, and this machine has 2 cores.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const folders = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e', 'nat'];

function collect(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = folders.flatMap((f) => collect(join(root, 'tests', f))).map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.MESHDROP_TEST_CONCURRENCY ?? '1';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
