/** Token buckets (rate caps) and rate meters, on an injected clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter, TokenBucket } from '../../client/rate.ts';

test('a token bucket lets a burst through, then holds the rate', () => {
  let now = 0;
  const bucket = new TokenBucket(1000, () => now); // 1000 B/s, burst 250
  assert.equal(bucket.take(250), 0, 'the burst passes at once');
  assert.equal(bucket.take(100), 100, 'then 100 bytes of debt = 100 ms');
  now += 100;
  assert.equal(bucket.waitMs(), 0);
  // Over 10 simulated seconds, sending whenever allowed moves about rate × time.
  let sent = 0;
  for (now = 1000; now < 11_000; now += 1) {
    if (bucket.waitMs() > 0) continue;
    bucket.take(64);
    sent += 64;
  }
  assert.ok(sent >= 9_900 && sent <= 10_400, `sent ${sent} in 10 s at 1000 B/s`);
});

test('a bucket without a rate never waits, and the rate can change', () => {
  let now = 0;
  const bucket = new TokenBucket(0, () => now);
  assert.equal(bucket.rate, Infinity);
  assert.equal(bucket.take(1e12), 0);
  bucket.setRate(100);
  assert.equal(bucket.rate, 100);
  bucket.take(25);
  assert.equal(bucket.take(50), 500);
  bucket.setRate(Infinity);
  assert.equal(bucket.waitMs(), 0);
});

test('a rate meter measures bytes per second and falls to zero when traffic stops', () => {
  let now = 10_000;
  const meter = new RateMeter(() => now);
  for (let i = 0; i < 100; i++) {
    now += 50;
    meter.add(5_000); // 100 kB/s
  }
  const r = meter.rate();
  assert.ok(r > 80_000 && r < 120_000, `measured ${r}`);
  assert.equal(meter.total, 500_000);
  now += 10_000;
  assert.equal(meter.rate(), 0);
  assert.equal(meter.total, 500_000, 'the total is kept');
});
