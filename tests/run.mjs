#!/usr/bin/env node
// Runs every *.test.ts under tests/ with Node's own test runner (TypeScript through tsx), one
// process per file. `node tests/run.mjs unit integration` runs only those folders; a path to a
// file runs that file. `nat` builds network namespaces: root only.
//
// Two kinds of file, scheduled apart on this 2-core machine:
// - light (unit, integration): real trackers, sockets and disks, little CPU each; run
//   MESHDROP_TEST_CONCURRENCY at a time (default 2), their output printed whole as each ends.
// - heavy (e2e, nat): several Chromium or Firefox processes, CPU-bound; each runs alone, after
//   the light ones, its output streamed.
// A file whose process outlives MESHDROP_TEST_FILE_TIMEOUT_S (default 900 s; its tests may have
// passed and a leaked handle keep it alive) is killed and counted as failed, by name.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const folders = args.length ? args : ['unit', 'integration', 'e2e', 'nat'];
const concurrency = Math.max(1, Number(process.env.MESHDROP_TEST_CONCURRENCY ?? 2));
const fileTimeoutMs = Number(process.env.MESHDROP_TEST_FILE_TIMEOUT_S ?? 900) * 1000;

function collect(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = folders
  .flatMap((f) => (f.endsWith('.test.ts') ? [join(root, f)] : collect(join(root, 'tests', f))))
  .map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const isHeavy = (file) => /^tests[/\\](e2e|nat)[/\\]/.test(file);

/** Runs one file; resolves with its result once its process has exited (or was killed). */
function runFile(file, stream) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=600000', '--test-reporter=spec', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (chunk) => {
      output += chunk;
      if (stream) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const count = (what) => Number(new RegExp(`^ℹ ${what} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
      resolve({
        file,
        seconds: (Date.now() - started) / 1000,
        ok: code === 0 && !timedOut,
        why: timedOut ? `still running after ${fileTimeoutMs / 1000} s: killed (a test hung, or a handle kept the process alive after its tests)` : code === 0 ? '' : `exit ${code ?? signal}`,
        output,
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail') + count('cancelled'),
        todo: count('todo'),
        skipped: count('skipped'),
      });
    });
  });
}

function report(result, printed) {
  const head = `── ${result.file} · ${result.seconds.toFixed(1)} s${result.ok ? '' : ` · FAILED (${result.why})`}`;
  if (!printed) process.stdout.write(`\n${head}\n${result.output}`);
  else process.stdout.write(`${head}\n`);
}

const results = [];
const started = Date.now();

// Light files, `concurrency` at a time.
const light = files.filter((f) => !isHeavy(f));
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(concurrency, light.length) }, async () => {
    while (next < light.length) {
      const result = await runFile(light[next++], false);
      report(result, false);
      results.push(result);
    }
  }),
);
// Heavy files, one at a time, streamed.
for (const file of files.filter(isHeavy)) {
  process.stdout.write(`\n── ${file}\n`);
  const result = await runFile(file, true);
  report(result, true);
  results.push(result);
}

const sum = (key) => results.reduce((n, r) => n + r[key], 0);
const failed = results.filter((r) => !r.ok);
console.log(`\n══ ${results.length} files in ${((Date.now() - started) / 60000).toFixed(1)} min: ${sum('tests')} tests, ${sum('pass')} pass, ${sum('fail')} failed or cancelled, ${sum('todo')} todo, ${sum('skipped')} skipped`);
console.log('slowest files:');
for (const r of [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 8)) console.log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`);
if (failed.length) {
  console.log('failed files:');
  for (const r of failed) console.log(`  ${r.file}: ${r.why}`);
}
process.exit(failed.length ? 1 : 0);
