/** Command line and environment → configuration, and the small pure helpers of the tracker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configWarnings, DEFAULT_TRACKER_NAME, parseConfig, trackerName, USAGE } from '../../tracker-server/config.ts';
import { LoginLimiter, TokenBucket } from '../../tracker-server/limits.ts';
import { HybridClock } from '../../tracker-server/clock.ts';
import { DEFAULT_QUOTAS, QUOTA_NAMES } from '../../tracker-server/quotas.ts';
import {
  LOGIN_ACCOUNT_BURST,
  LOGIN_ACCOUNT_PER_SECOND,
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_WINDOW_MS,
  MAX_TRACKER_NAME_LENGTH,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SIGNUP_BURST,
} from '../../protocol/constants.ts';
import { resolveClientAddress, trustedProxies } from '../../tracker-server/gateway/client-address.ts';

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

test('session lifetimes, --trust-proxy and sign-ups: defaults, flags, env, bad values', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.equal(d.sessionIdleMs, SESSION_IDLE_MS);
  assert.equal(d.sessionMaxMs, SESSION_MAX_MS);
  assert.deepEqual(d.trustProxy, [], 'X-Forwarded-For ignored by default');
  assert.equal(d.signupBurst, SIGNUP_BURST);
  const c = parseConfig(['--session-idle', '12h', '--session-max', '7d', '--trust-proxy', '127.0.0.1', '--trust-proxy', '10.0.0.0/8', '--signups-per-address', '0'], {});
  assert.ok(c !== 'help');
  assert.equal(c.sessionIdleMs, 12 * 3600_000);
  assert.equal(c.sessionMaxMs, 7 * 24 * 3600_000);
  assert.deepEqual(c.trustProxy, ['127.0.0.1', '10.0.0.0/8']);
  assert.equal(c.signupBurst, 0);
  const e = parseConfig([], { MESHDROP_SESSION_IDLE: '90m', MESHDROP_SESSION_MAX: '2d', MESHDROP_TRUST_PROXY: '::1, 127.0.0.1', MESHDROP_SIGNUPS_PER_ADDRESS: '5' });
  assert.ok(e !== 'help');
  assert.equal(e.sessionIdleMs, 90 * 60_000);
  assert.equal(e.sessionMaxMs, 2 * 24 * 3600_000);
  assert.deepEqual(e.trustProxy, ['::1', '127.0.0.1']);
  assert.equal(e.signupBurst, 5);
  assert.throws(() => parseConfig(['--session-idle', '30'], {}), /--session-idle/, 'a unit is required');
  assert.throws(() => parseConfig(['--session-idle', '10d', '--session-max', '5d'], {}), /--session-max/, 'idle over max');
  assert.throws(() => parseConfig(['--trust-proxy', 'proxy.local'], {}), /--trust-proxy/);
  assert.throws(() => parseConfig(['--trust-proxy', '10.0.0.0/40'], {}), /--trust-proxy/);
});

test('client address: X-Forwarded-For only from a trusted proxy, its right-most untrusted hop', () => {
  const none = trustedProxies([]);
  assert.equal(resolveClientAddress('127.0.0.1', '6.6.6.6', none), '127.0.0.1', 'without --trust-proxy the header is ignored');
  const proxies = trustedProxies(['127.0.0.1', '10.0.0.0/8']);
  assert.equal(resolveClientAddress('::ffff:127.0.0.1', '203.0.113.7', proxies), '203.0.113.7');
  assert.equal(resolveClientAddress('127.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.5', proxies), '203.0.113.7', 'a forged left part is skipped');
  assert.equal(resolveClientAddress('127.0.0.1', ['1.1.1.1', '203.0.113.7'], proxies), '203.0.113.7', 'several headers are one list');
  assert.equal(resolveClientAddress('198.51.100.1', '203.0.113.7', proxies), '198.51.100.1', 'a header from an untrusted peer is ignored');
  assert.equal(resolveClientAddress('127.0.0.1', undefined, proxies), '127.0.0.1');
  assert.equal(resolveClientAddress('127.0.0.1', 'garbage', proxies), '127.0.0.1', 'unreadable: the last trusted hop');
  assert.equal(resolveClientAddress('127.0.0.1', '10.0.0.9, 10.0.0.5', proxies), '10.0.0.9', 'all trusted: the left-most');
});

test('token bucket: a burst, then the sustained rate', () => {
  const bucket = new TokenBucket(10, 3, 0);
  assert.deepEqual([1, 2, 3, 4].map(() => bucket.take(0)), [true, true, true, false]);
  assert.equal(bucket.take(100), true, '100 ms at 10/s refills one');
  assert.equal(bucket.take(100), false);
});

test('login limiter: counted before the check, per (account, address), sliding window', () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  // Taken at once (nothing settled yet): only the allowed number get a slot.
  const tickets = Array.from({ length: 300 }, () => limiter.begin('ann', '10.0.0.1'));
  assert.equal(tickets.filter(Boolean).length, LOGIN_FAILURES_PER_ACCOUNT);
  for (const t of tickets) t?.failed();
  assert.equal(limiter.begin('ann', '10.0.0.1'), undefined, 'that address is refused for that account');
  assert.ok(limiter.begin('ann', '10.9.9.9'), 'the owner, from another address, is not locked out');
  assert.ok(limiter.begin('bob', '10.0.0.1'), 'other accounts from that address are unaffected');
  now += LOGIN_WINDOW_MS;
  assert.ok(limiter.begin('ann', '10.0.0.1'), 'the window slid past');
});

test('login limiter: a success does not count; per address across accounts', () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < 50; i++) limiter.begin('ann', '10.0.0.1')!.succeeded();
  assert.ok(limiter.begin('ann', '10.0.0.1'), 'right passwords never lock anyone out');
  const spray = Array.from({ length: LOGIN_FAILURES_PER_ADDRESS + 5 }, (_, i) => limiter.begin(`user${i}`, '10.0.0.2'));
  assert.equal(spray.filter(Boolean).length, LOGIN_FAILURES_PER_ADDRESS, 'one address spraying many accounts is stopped');
});

test('login limiter: the per-account ceiling slows a distributed guesser, never an address that logged in before', () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  limiter.begin('ann', '192.168.1.1')!.succeeded(); // the owner, once
  let checked = 0;
  for (let i = 0; i < 200; i++) {
    const t = limiter.begin('ann', `10.1.${i >> 8}.${i & 255}`);
    if (t) {
      checked++;
      t.failed();
    }
  }
  assert.equal(checked, LOGIN_ACCOUNT_BURST - 1, 'guesses from 200 addresses: only the burst is checked');
  assert.ok(limiter.begin('ann', '192.168.1.1'), 'the owner at a known address is not even slowed');
  assert.equal(limiter.begin('ann', '10.2.0.1'), undefined, 'a new address must wait for the bucket');
  now += 2000 / LOGIN_ACCOUNT_PER_SECOND / 2;
  assert.ok(limiter.begin('ann', '10.2.0.1'), 'seconds later it gets through: slowed, not locked');
});

test('sign-ups per address: a burst, then one a minute; 0 is no limit', () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  assert.deepEqual([1, 2, 3].map(() => limiter.signupAllowed('10.0.0.1', 2)), [true, true, false]);
  assert.equal(limiter.signupAllowed('10.0.0.2', 2), true, 'per address');
  now += 60_000;
  assert.equal(limiter.signupAllowed('10.0.0.1', 2), true);
  assert.ok(Array.from({ length: 100 }, () => limiter.signupAllowed('10.0.0.3', 0)).every(Boolean));
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

test('--stun-port: default follows --port (undefined), a number or 0 (off), from flag or env, bad values refused', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.equal(d.stunPort, undefined, 'default: the HTTP port number, decided at start-up');
  const f = parseConfig(['--stun-port', '3478'], { MESHDROP_STUN_PORT: '9999' });
  assert.ok(f !== 'help');
  assert.equal(f.stunPort, 3478, 'the flag wins over the environment');
  const e = parseConfig([], { MESHDROP_STUN_PORT: '0' });
  assert.ok(e !== 'help');
  assert.equal(e.stunPort, 0, '0 turns it off');
  assert.throws(() => parseConfig(['--stun-port', '70000'], {}), /--stun-port/);
  assert.throws(() => parseConfig(['--stun-port', 'udp'], {}), /--stun-port/);
  assert.match(USAGE, /--stun-port/);
  assert.match(USAGE, /MESHDROP_STUN_PORT/);
});

test('--turn-url / --turn-secret / --turn-ttl: validated, minted from the secret, 12h by default', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.deepEqual([d.turnUrls, d.turnSecret, d.turnTtlMs], [[], undefined, 12 * 3600_000], 'no TURN by default');
  const secret = 'a-long-random-secret';
  const c = parseConfig(['--turn-url', 'turn:t.example.org:3478?transport=udp', '--turn-url', 'turns:t.example.org:5349', '--turn-secret', secret, '--turn-ttl', '2h'], {});
  assert.ok(c !== 'help');
  assert.deepEqual(c.turnUrls, ['turn:t.example.org:3478?transport=udp', 'turns:t.example.org:5349']);
  assert.equal(c.turnSecret, secret);
  assert.equal(c.turnTtlMs, 2 * 3600_000);
  const e = parseConfig([], { MESHDROP_TURN_URLS: 'turn:a.example.org, turn:b.example.org?transport=tcp', MESHDROP_TURN_SECRET: secret, MESHDROP_TURN_TTL: '30m' });
  assert.ok(e !== 'help');
  assert.deepEqual(e.turnUrls, ['turn:a.example.org', 'turn:b.example.org?transport=tcp']);
  assert.equal(e.turnTtlMs, 30 * 60_000);
  assert.throws(() => parseConfig(['--turn-url', 'stun:t.example.org', '--turn-secret', secret], {}), /--turn-url: turn: or turns:/);
  assert.throws(() => parseConfig(['--turn-url', 'turn:t.example.org?transport=sctp', '--turn-secret', secret], {}), /--turn-url/);
  assert.throws(() => parseConfig(['--turn-url', 'turn:t.example.org'], {}), /--turn-url needs --turn-secret/);
  assert.throws(() => parseConfig(['--turn-url', 'turn:t.example.org', '--turn-secret', 'short'], {}), /--turn-secret: at least 16/);
  assert.throws(() => parseConfig(['--turn-secret', secret], {}), /--turn-secret needs at least one --turn-url/);
  assert.throws(() => parseConfig(['--turn-url', 'turn:t.example.org', '--turn-secret', secret, '--turn-ttl', '12'], {}), /--turn-ttl/);
  for (const word of ['--turn-url', '--turn-secret', '--turn-ttl', 'MESHDROP_TURN_URLS', 'MESHDROP_TURN_SECRET', 'MESHDROP_TURN_TTL']) assert.ok(USAGE.includes(word), word);
});

test('--name: the name people see; default the host name, never the random id; bad names refused', () => {
  const d = parseConfig([], {}, 'nas.local');
  assert.ok(d !== 'help');
  assert.equal(d.name, 'nas.local', 'the host name by default');
  const none = parseConfig([], {}, '');
  assert.ok(none !== 'help');
  assert.equal(none.name, DEFAULT_TRACKER_NAME, 'plain words when the host has no name');
  assert.ok(!/^t-/.test(none.name));
  const c = parseConfig(['--name', '  Home office  '], { MESHDROP_NAME: 'Env name' }, 'nas.local');
  assert.ok(c !== 'help');
  assert.equal(c.name, 'Home office', 'the flag wins, trimmed');
  const e = parseConfig([], { MESHDROP_NAME: 'Backup in Lyon' }, 'nas.local');
  assert.ok(e !== 'help');
  assert.equal(e.name, 'Backup in Lyon');
  assert.throws(() => parseConfig(['--name', '   '], {}), /--name: must not be empty/);
  assert.throws(() => parseConfig(['--name', 'x'.repeat(MAX_TRACKER_NAME_LENGTH + 1)], {}), /--name: at most 64 characters; this one has 65/);
  assert.throws(() => parseConfig(['--name', 'two\nlines'], {}), /--name: no control characters/);
  assert.equal(trackerName(undefined, 'x'.repeat(200)), DEFAULT_TRACKER_NAME, 'an unreadable host name is not shown');
  for (const word of ['--name', 'MESHDROP_NAME']) assert.ok(USAGE.includes(word), word);
});

test('a meshed tracker bound to all addresses without --public-url is warned at start-up; otherwise nothing is said', () => {
  const of = (argv: string[], env: Record<string, string> = {}) => configWarnings(parseConfig(argv, env) as Exclude<ReturnType<typeof parseConfig>, 'help'>);
  const [linked] = of(['--peer', 'ws://b:8080', '--secret', 's'.repeat(20)]);
  assert.match(linked!, /no --public-url: .*will not fail over to it/);
  assert.equal(of(['--nats', 'nats://127.0.0.1:4222']).length, 1, 'over NATS too');
  assert.equal(of(['--host', '::', '--peer', 'ws://b:8080', '--secret', 's'.repeat(20)]).length, 1, 'IPv6 all-addresses too');
  assert.deepEqual(of([]), [], 'a lone tracker needs no public URL');
  assert.deepEqual(of(['--peer', 'ws://b:8080', '--secret', 's'.repeat(20), '--public-url', 'wss://a.example.org/ws']), []);
  assert.deepEqual(of(['--peer', 'ws://b:8080', '--secret', 's'.repeat(20)], { MESHDROP_PUBLIC_URLS: 'wss://a.example.org/ws' }), []);
  assert.deepEqual(of(['--host', '10.0.0.5', '--peer', 'ws://b:8080', '--secret', 's'.repeat(20)]), [], 'bound to one address it names itself');
});
