/** Command line and environment → configuration, and the small pure helpers of the tracker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, USAGE } from '../../tracker-server/config.ts';
import { LoginLimiter, TokenBucket } from '../../tracker-server/gateway/limits.ts';
import { HybridClock } from '../../tracker-server/clock.ts';
import { DEFAULT_QUOTAS, QUOTA_NAMES } from '../../tracker-server/quotas.ts';
import { LOGIN_FAILURES_PER_ACCOUNT, LOGIN_WINDOW_MS } from '../../protocol/constants.ts';

test('embedded defaults: port 8080, ./data, all interfaces', () => {
  const c = parseConfig([], {});
  assert.ok(c !== 'help');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, './data');
  assert.equal(c.host, '0.0.0.0');
  assert.deepEqual(c.iceServers, [], 'no STUN/TURN server by default');
});

test('flags win over environment; lists come comma-separated from env', () => {
  const c = parseConfig(['--port', '9000', '--peer', 'ws://a:1', '--peer', 'ws://b:2'], {
    MESHDROP_PORT: '7000',
    MESHDROP_DATA_DIR: '/srv/meshdrop',
    MESHDROP_ICE_SERVERS: 'stun:stun.example.org:3478, turn:t.example.org',
  });
  assert.ok(c !== 'help');
  assert.equal(c.port, 9000);
  assert.equal(c.dataDir, '/srv/meshdrop');
  assert.deepEqual(c.peers, ['ws://a:1', 'ws://b:2']);
  assert.deepEqual(c.iceServers, [{ urls: 'stun:stun.example.org:3478' }, { urls: 'turn:t.example.org' }]);
});

test('bad values are refused with the flag named', () => {
  assert.throws(() => parseConfig(['--port', 'eighty'], {}), /--port/);
  assert.throws(() => parseConfig(['--scrypt-n', '1000'], {}), /--scrypt-n: must be a power of 2/);
  assert.throws(() => parseConfig(['--bogus'], {}), /bogus/);
  assert.equal(parseConfig(['--help'], {}), 'help');
});

test('token bucket: a burst, then the sustained rate', () => {
  const bucket = new TokenBucket(10, 3, 0);
  assert.deepEqual([1, 2, 3, 4].map(() => bucket.take(0)), [true, true, true, false]);
  assert.equal(bucket.take(100), true, '100 ms at 10/s refills one');
  assert.equal(bucket.take(100), false);
});

test('login limiter: per account, sliding window', () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++) limiter.failed('ann', `10.0.0.${i}`);
  assert.equal(limiter.allowed('ann', '10.9.9.9'), false, 'from any address');
  assert.equal(limiter.allowed('bob', '10.9.9.9'), true, 'other accounts unaffected');
  now += LOGIN_WINDOW_MS;
  assert.equal(limiter.allowed('ann', '10.9.9.9'), true, 'the window slid past');
});

test('hybrid clock: monotonic, above everything observed, even with a clock going back', () => {
  let wall = 1000;
  const clock = new HybridClock(() => wall);
  const a = clock.stamp();
  wall = 500; // the wall clock jumps back
  const b = clock.stamp();
  assert.ok(b > a);
  clock.observe(5_000_000);
  assert.ok(clock.stamp() > 5_000_000);
});

test('quotas and --metrics-token: flags or env, defaults when unset, a too-short token refused', () => {
  const plain = parseConfig([], {});
  assert.ok(plain !== 'help');
  assert.deepEqual(plain.quotas, DEFAULT_QUOTAS);
  assert.equal(plain.metricsToken, undefined, '/metrics open by default, as before');
  const c = parseConfig(['--quota', 'files-per-user=10', '--quota', 'groups-per-user=3', '--metrics-token', 't'.repeat(20)], {
    MESHDROP_QUOTAS: 'files-per-group=1',
  });
  assert.ok(c !== 'help');
  assert.deepEqual(c.quotas, { ...DEFAULT_QUOTAS, filesPerUser: 10, groupsPerUser: 3 }, 'flags win over env');
  assert.equal(c.metricsToken, 't'.repeat(20));
  const e = parseConfig([], { MESHDROP_QUOTAS: 'files-per-group=1, hashes-per-user=99', MESHDROP_METRICS_TOKEN: 'e'.repeat(16) });
  assert.ok(e !== 'help');
  assert.deepEqual(e.quotas, { ...DEFAULT_QUOTAS, filesPerGroup: 1, hashesPerUser: 99 });
  assert.equal(e.metricsToken, 'e'.repeat(16));
  assert.throws(() => parseConfig(['--quota', 'bogus=1'], {}), /--quota/);
  assert.throws(() => parseConfig(['--metrics-token', 'short'], {}), /--metrics-token/);
});

test('USAGE names every quota with its default', () => {
  for (const [key, name] of Object.entries(QUOTA_NAMES)) {
    assert.ok(USAGE.replace(/\s+/g, ' ').includes(`${name} (${DEFAULT_QUOTAS[key as keyof typeof DEFAULT_QUOTAS]})`), name);
  }
});

test('connection caps and allowed origins: defaults, flags, env, bad values', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.equal(d.maxConnections, 10_000);
  assert.equal(d.maxConnectionsPerAddress, 100);
  assert.deepEqual(d.allowedOrigins, [], 'any origin by default');
  const c = parseConfig(['--max-connections', '50', '--allowed-origin', 'https://drop.example.org', '--allowed-origin', 'http://localhost:5173'], {
    MESHDROP_MAX_CONNECTIONS: '7',
    MESHDROP_MAX_CONNECTIONS_PER_ADDRESS: '3',
  });
  assert.ok(c !== 'help');
  assert.equal(c.maxConnections, 50);
  assert.equal(c.maxConnectionsPerAddress, 3);
  assert.deepEqual(c.allowedOrigins, ['https://drop.example.org', 'http://localhost:5173']);
  const e = parseConfig([], { MESHDROP_ALLOWED_ORIGINS: 'https://a.example, https://b.example' });
  assert.ok(e !== 'help');
  assert.deepEqual(e.allowedOrigins, ['https://a.example', 'https://b.example']);
  assert.throws(() => parseConfig(['--max-connections', '0'], {}), /--max-connections/);
  assert.throws(() => parseConfig(['--max-connections-per-address', 'many'], {}), /--max-connections-per-address/);
  assert.throws(() => parseConfig(['--allowed-origin', 'https://a.example/path'], {}), /--allowed-origin/);
});
