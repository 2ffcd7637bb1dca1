/** /metrics (issue 8 item 14): cached digest, and protected by --metrics-token when an operator asks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFile } from '../helpers/files.ts';
import { spawnTracker, startTestTracker, tempDir, userClient } from '../helpers/tracker.ts';

const metricsOf = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as { digest: string; digestComputations: number }) : await res.text() };
};

test('/metrics asked twice in a row hashes the state once; a write makes a new digest', async (t) => {
  const tracker = await startTestTracker(t);
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  const first = await metricsOf(tracker.httpUrl);
  const second = await metricsOf(tracker.httpUrl);
  assert.ok(typeof first.body === 'object' && typeof second.body === 'object');
  assert.equal(typeof first.body.digestComputations, 'number', '/metrics says how often it hashed the state');
  assert.equal(second.body.digest, first.body.digest);
  assert.equal(second.body.digestComputations, first.body.digestComputations, 'answered from the cache');
  await ann.request('create_group', { groupId: 'g' });
  await ann.request('upload_file', randomFile('g'));
  const third = await metricsOf(tracker.httpUrl);
  assert.ok(typeof third.body === 'object');
  assert.notEqual(third.body.digest, first.body.digest);
  assert.equal(third.body.digestComputations, first.body.digestComputations + 1);
});

test('with --metrics-token, /metrics needs the bearer token; /healthz stays open and cheap', async (t) => {
  const token = 'metrics-token-for-tests-0123456789';
  const tracker = await startTestTracker(t, { metricsToken: token });
  const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: token }];
  for (const headers of attempts) {
    const res = await metricsOf(tracker.httpUrl, headers);
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.doesNotMatch(String(res.body), /digest/);
  }
  const ok = await metricsOf(tracker.httpUrl, { authorization: `Bearer ${token}` });
  assert.equal(ok.status, 200);
  assert.ok(typeof ok.body === 'object');
  assert.match(ok.body.digest, /^[0-9a-f]{64}$/);
  const health = await fetch(`${tracker.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, trackerId: 'test-a', ops: 0 });
  assert.equal(ok.body.digestComputations, 1, '/healthz computed no digest');
});

test('MESHDROP_METRICS_TOKEN protects /metrics of a tracker started from the command line', async (t) => {
  const token = 'env-token-0123456789abcdef';
  const tracker = await spawnTracker(t, ['--port', '0', '--data-dir', await tempDir(t)], { MESHDROP_METRICS_TOKEN: token });
  assert.equal((await fetch(`${tracker.httpUrl}/metrics`)).status, 401);
  assert.equal((await fetch(`${tracker.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
});
