/** One process is a whole deployment: the web app, /healthz and /metrics on the tracker's port. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, spawnTracker, startTestTracker, tempDir, userClient } from '../helpers/tracker.ts';

test('the tracker serves the built web app, with group links falling back to it', async (t) => {
  assert.ok(existsSync(join(ROOT, 'dist/web/index.html')), 'npm test builds the app before the tests');
  const tracker = await startTestTracker(t);
  const home = await fetch(`${tracker.httpUrl}/`);
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /text\/html/);
  const html = await home.text();
  assert.match(html, /<title>Meshdrop<\/title>/);
  const link = await fetch(`${tracker.httpUrl}/g/photos`);
  assert.equal(link.status, 200);
  assert.equal(await link.text(), html, 'a group link opens the app, which routes it');
  const traversal = await fetch(`${tracker.httpUrl}/..%2f..%2fpackage.json`);
  assert.ok(!(await traversal.text()).includes('"name": "meshdrop"'), 'no file outside the app is served');
});

test('/healthz and /metrics answer JSON; /metrics carries the state digest', async (t) => {
  const tracker = await startTestTracker(t);
  const health = await (await fetch(`${tracker.httpUrl}/healthz`)).json();
  assert.deepEqual(health, { ok: true, trackerId: 'test-a', ops: 0 });
  await userClient(t, tracker.wsUrl, 'ann');
  const metrics = (await (await fetch(`${tracker.httpUrl}/metrics`)).json()) as Record<string, unknown>;
  assert.equal(metrics.connections, 1);
  assert.equal(metrics.ops, 2, 'user created, session opened');
  assert.deepEqual(metrics.versionVector, { 'test-a': 2 });
  assert.match(String(metrics.digest), /^[0-9a-f]{64}$/);
});

test('the command line: flags and env configure it, a bad flag is refused with usage', async (t) => {
  const dataDir = await tempDir(t);
  const tracker = await spawnTracker(t, ['--port', '0', '--tracker-id', 'cli-1'], { MESHDROP_DATA_DIR: dataDir });
  const health = (await (await fetch(`${tracker.httpUrl}/healthz`)).json()) as { trackerId: string };
  assert.equal(health.trackerId, 'cli-1');
  assert.match(tracker.output(), new RegExp(`data in ${dataDir.replace(/[/\\]/g, '.')}`));
  await assert.rejects(spawnTracker(t, ['--port', 'eighty']), /--port/);
});

test('a tracker keeps its generated id across restarts', async (t) => {
  const dataDir = await tempDir(t);
  const first = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir]);
  const id = ((await (await fetch(`${first.httpUrl}/healthz`)).json()) as { trackerId: string }).trackerId;
  first.process.kill('SIGTERM');
  await first.exited;
  const second = await spawnTracker(t, ['--port', '0', '--data-dir', dataDir]);
  assert.equal(((await (await fetch(`${second.httpUrl}/healthz`)).json()) as { trackerId: string }).trackerId, id);
});

test('the app keeps being served when its files are rebuilt or deleted under the tracker', async (t) => {
  const webDir = await tempDir(t);
  await cp(join(ROOT, 'dist/web'), webDir, { recursive: true });
  const tracker = await startTestTracker(t, { webDir });
  const html = await (await fetch(`${tracker.httpUrl}/`)).text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, 'index.html names its script');
  await rm(webDir, { recursive: true, force: true }); // a rebuild empties the folder
  const again = await fetch(`${tracker.httpUrl}${asset}`);
  assert.equal(again.status, 200, 'served from the build the tracker started with');
  assert.match(again.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${tracker.httpUrl}/healthz`)).status, 200, 'and the tracker is alive');
});

test('conditional requests get 304; a missing asset is a real 404', async (t) => {
  const tracker = await startTestTracker(t);
  const first = await fetch(`${tracker.httpUrl}/`);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  const second = await fetch(`${tracker.httpUrl}/`, { headers: { 'if-none-match': etag } });
  assert.equal(second.status, 304);
  assert.equal((await fetch(`${tracker.httpUrl}/assets/nope-123.js`)).status, 404);
  assert.equal((await fetch(`${tracker.httpUrl}/%E0%A4%A`)).status, 200, 'an undecodable path gets the app, not a crash');
});

test('a production build serves no test harness: no page, no test code in its assets', async (t) => {
  const webDir = join(ROOT, 'dist/web');
  const tracker = await startTestTracker(t, { webDir });
  assert.equal((await fetch(`${tracker.httpUrl}/harness.html`)).status, 404, 'no harness page in production');
  assert.equal((await fetch(`${tracker.httpUrl}/`)).status, 200, 'the app itself is served');
  const files = (await readdir(webDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  assert.ok(files.length > 0, 'dist/web holds the built app');
  for (const entry of files) {
    const text = await readFile(join(entry.parentPath, entry.name), 'latin1');
    assert.doesNotMatch(text, /meshdropHarness|test harness|PieceStore contract/i, `${entry.name} holds test code`);
  }
});
