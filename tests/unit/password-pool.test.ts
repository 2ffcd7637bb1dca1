/** The password pool (tracker-server/password-pool.ts): real worker threads, a bounded queue. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { PasswordPool, PoolBusyError } from '../../tracker-server/password-pool.ts';

const job = (password: string) => ({ password, salt: Buffer.from('salt-salt-salt-1'), N: 1024, r: 8, p: 1, keyLength: 32 });

test('the pool computes what scrypt computes', async () => {
  const pool = new PasswordPool(1, 4);
  const key = await pool.scrypt(job('hunter2'));
  assert.deepEqual(key, scryptSync('hunter2', Buffer.from('salt-salt-salt-1'), 32, { N: 1024, r: 8, p: 1 }));
});

test('beyond its queue the pool refuses at once; what it took is all done', async () => {
  const pool = new PasswordPool(1, 2);
  const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => pool.scrypt(job(`pw${i}`))));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason instanceof PoolBusyError));
  // One running and two waiting: three taken, three refused.
  assert.equal(refused.length, 3);
  assert.equal(pool.stats.completed, 3);
  assert.equal(pool.stats.refused, 3);
});
