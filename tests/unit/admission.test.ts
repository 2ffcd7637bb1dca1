/** Connection caps (issue 8, item 11): pure bookkeeping, and the key an address is counted under. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, addressKey } from '../../tracker-server/gateway/admission.ts';
import { CRASH_BUDGET, CRASH_EXIT_CODE, CRASH_WINDOW_MS, lastDefence } from '../../tracker-server/last-defence.ts';

test('admission caps connections per address and in total, and gives slots back', () => {
  const a = new Admission({ total: 3, perAddress: 2 });
  assert.equal(a.admit('10.0.0.1'), undefined);
  assert.equal(a.admit('10.0.0.1'), undefined);
  assert.equal(a.admit('10.0.0.1'), 'address_full');
  assert.equal(a.admit('::ffff:10.0.0.1'), 'address_full', 'an IPv4-mapped address is the same address');
  assert.equal(a.admit('10.0.0.2'), undefined);
  assert.equal(a.admit('10.0.0.3'), 'tracker_full');
  assert.equal(a.total, 3, 'refusals count nothing');
  a.release('10.0.0.1');
  assert.equal(a.admit('10.0.0.3'), undefined);
  a.release('10.0.0.9'); // never admitted: nothing to give back
  assert.equal(a.total, 3);
});

test('an IPv6 address is counted by its /64', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('unknown'), 'unknown');
  const a = new Admission({ total: 10, perAddress: 1 });
  assert.equal(a.admit('2001:db8:1:2::1'), undefined);
  assert.equal(a.admit('2001:db8:1:2::2'), 'address_full', 'a fresh address in the same /64 is no escape');
});

test('the last line of defence logs and stays up, and exits only past its budget', () => {
  let now = 0;
  const logged: string[] = [];
  const exits: number[] = [];
  const handle = lastDefence({ log: (m) => logged.push(m), exit: (c) => exits.push(c), now: () => now });
  for (let i = 0; i < 100; i++) handle('unhandledRejection', new Error('x'));
  assert.deepEqual(exits, [], 'a stray rejection never stops the tracker');
  for (let i = 0; i < CRASH_BUDGET; i++) handle('uncaughtException', new Error('y'));
  assert.deepEqual(exits, [], 'within the budget it stays up');
  now += CRASH_WINDOW_MS + 1;
  for (let i = 0; i < CRASH_BUDGET; i++) handle('uncaughtException', new Error('y'));
  assert.deepEqual(exits, [], 'old exceptions leave the window');
  handle('uncaughtException', new Error('z'));
  assert.deepEqual(exits, [CRASH_EXIT_CODE], 'a tracker that keeps failing exits for its supervisor');
  assert.ok(logged.length >= 121);
});
