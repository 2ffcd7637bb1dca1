/** Pure helpers of the web app: error words, addresses, numbers, invite expiry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { describeError } from '../../client/commands/errors.ts';
import { groupLink, parseRoute, routePath } from '../../web/src/ui/routes.ts';
import { formatBytes, formatDuration, formatEta, formatPercent } from '../../client/commands/format.ts';
import { inviteTtl } from '../../web/src/ui/invite.ts';
import { INVITE_MAX_TTL_MS } from '../../protocol/constants.ts';

test('every error code has words of its own, none of them the raw code', () => {
  const seen = new Set<string>();
  for (const code of Object.values(ErrorCode)) {
    const words = describeError(new MeshdropError(code, `internal detail ${code}`));
    assert.ok(!words.includes(code), `${code} shows its code`);
    assert.ok(!words.includes('internal detail'), `${code} shows the tracker's message`);
    assert.ok(!words.startsWith('Something went wrong'), `${code} falls back to the generic text`);
    seen.add(words);
  }
  assert.equal(seen.size, Object.values(ErrorCode).length, 'no two codes share words');
  assert.equal(describeError(new MeshdropError(ErrorCode.UserExists, 'x')), 'That user name is taken. Pick another one.');
  assert.equal(describeError(new MeshdropError(ErrorCode.BadCredentials, 'x')), 'Wrong user name or password.');
  assert.match(describeError(new MeshdropError(ErrorCode.Disconnected, 'x')), /Lost the connection to the tracker/);
});

test('a quota refusal names the limit in words', () => {
  const e = new MeshdropError(ErrorCode.QuotaExceeded, 'your files would have 131073 pieces in all, the most allowed (quota hashes-per-user = 131072)');
  assert.match(describeError(e), /limit is reached.*The limit: 131,072 file pieces per user\.$/);
});

test('an invalid field keeps the hint of which field and what rule', () => {
  const e = new MeshdropError(ErrorCode.InvalidMessage, 'create_user: userId: letters, digits, . _ - (1–32, starting with a letter or digit)');
  assert.equal(describeError(e), 'Something you entered is not valid. User name: letters, digits, . _ - (1–32, starting with a letter or digit).');
});

test('an unexpected error says what failed in one line, never a stack', () => {
  const err = new TypeError('x is not a function');
  err.stack = 'TypeError: x is not a function\n    at foo (app.js:1:1)';
  assert.equal(describeError(err), 'Something went wrong: x is not a function');
  assert.equal(describeError(new Error('first line\n    at bar (x.js:2:2)')), 'Something went wrong: first line');
  assert.equal(describeError(undefined), 'Something went wrong. Try again.');
  assert.equal(describeError({ code: 'invite_expired', message: 'x' }), 'This invite link has expired. Ask the owner for a new one, or ask to join.');
});

test('routes: group links and invite links round-trip; junk is not found', () => {
  assert.deepEqual(parseRoute('/'), { page: 'groups' });
  assert.deepEqual(parseRoute('/downloads/'), { page: 'downloads' });
  assert.deepEqual(parseRoute('/g/photos'), { page: 'group', groupId: 'photos', invite: undefined });
  assert.deepEqual(parseRoute('/g/photos', '?invite=abcdefghijklmnop_-12'), { page: 'group', groupId: 'photos', invite: 'abcdefghijklmnop_-12' });
  assert.deepEqual(parseRoute('/g/photos', '?invite=short'), { page: 'group', groupId: 'photos', invite: undefined });
  assert.equal(parseRoute('/g/bad%20name').page, 'not_found');
  assert.equal(parseRoute('/g/%E0%A4%A').page, 'not_found');
  assert.equal(parseRoute('/etc/passwd').page, 'not_found');
  const link = groupLink('http://10.0.0.5:8080/', 'photos', 'abcdefghijklmnopqrst');
  assert.equal(link, 'http://10.0.0.5:8080/g/photos?invite=abcdefghijklmnopqrst');
  const url = new URL(link);
  assert.equal(routePath(parseRoute(url.pathname, url.search)), '/g/photos?invite=abcdefghijklmnopqrst');
});

test('numbers as people read them', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MB');
  assert.equal(formatPercent(0.4567), '45.7%');
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatEta(0, 0), 'done');
  assert.equal(formatEta(100, 0), 'waiting for peers');
  assert.equal(formatEta(125 * 1000, 1000), '2 min 5 s left');
  assert.equal(formatEta(10, 1000), '1 s left');
  assert.equal(formatDuration(7 * 86_400_000), '7 days');
  assert.equal(formatDuration(1000), '1 second');
});

test('invite expiry within the tracker limits: at least a second, at most 30 days', () => {
  assert.deepEqual(inviteTtl(7, 'days'), { ok: true, ms: 7 * 86_400_000 });
  assert.deepEqual(inviteTtl(2, 'seconds'), { ok: true, ms: 2000 });
  assert.deepEqual(inviteTtl(30, 'days'), { ok: true, ms: INVITE_MAX_TTL_MS });
  assert.match((inviteTtl(31, 'days') as { error: string }).error, /at most 30 days/);
  assert.match((inviteTtl(0.5, 'seconds') as { error: string }).error, /at least one second/);
  assert.match((inviteTtl(0, 'hours') as { error: string }).error, /above zero/);
  assert.match((inviteTtl(Number.NaN, 'hours') as { error: string }).error, /above zero/);
});
