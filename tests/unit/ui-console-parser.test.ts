/** The console's language as pure functions: words, quotes, arity, help, masking, and the show_downloads format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, completeCommand, helpText, maskSecrets, parseCommand, tokenize } from '../../client/commands/parse.ts';
import { findFile, formatDownloads, formatGroups, formatSessions } from '../../client/commands/run.ts';
import type { FileSummary } from '../../protocol/tracker.ts';

const ok = (line: string) => {
  const r = parseCommand(line);
  assert.equal(r.ok, true, `${line} should parse: ${JSON.stringify(r)}`);
  return (r as { command: unknown }).command;
};
const err = (line: string) => {
  const r = parseCommand(line);
  assert.equal(r.ok, false, `${line} should not parse`);
  return (r as { error: string }).error;
};

test('every classic command the issue names exists and has help', () => {
  const names = COMMANDS.map((c) => c.name);
  for (const name of ['create_user', 'login', 'create_group', 'join_group', 'leave_group', 'list_requests', 'accept_request', 'reject_request', 'list_groups', 'list_files', 'upload_file', 'download_file', 'show_downloads', 'stop_share', 'logout']) {
    assert.ok(names.includes(name as never), name);
    const help = helpText(name);
    assert.match(help[0]!, new RegExp(`^usage: ${name}`));
    assert.match(help.at(-1)!, new RegExp(`^example: ${name}`));
    // The example itself parses.
    ok(help.at(-1)!.slice('example: '.length));
  }
  assert.equal(helpText().length, COMMANDS.length + 1);
  assert.match(helpText('nope')[0]!, /No command named "nope"/);
});

test('commands parse into typed values', () => {
  assert.deepEqual(ok('create_user alice wonderland'), { name: 'create_user', userId: 'alice', password: 'wonderland' });
  assert.deepEqual(ok('  LOGIN   alice   pw1234 '), { name: 'login', userId: 'alice', password: 'pw1234' });
  assert.deepEqual(ok('join_group photos'), { name: 'join_group', groupId: 'photos', invite: undefined });
  assert.deepEqual(ok('accept_request photos bob'), { name: 'accept_request', groupId: 'photos', userId: 'bob' });
  assert.deepEqual(ok('list_requests'), { name: 'list_requests', groupId: undefined });
  assert.deepEqual(ok('show_downloads'), { name: 'show_downloads' });
  assert.deepEqual(ok('help join_group'), { name: 'help', topic: 'join_group' });
});

test('a pasted invite link works as well as its code', () => {
  assert.deepEqual(ok('join_group photos http://host:8080/g/photos?invite=abcdefghijklmnop1234'), {
    name: 'join_group', groupId: 'photos', invite: 'abcdefghijklmnop1234',
  });
  assert.deepEqual(ok('join_group photos abcdefghijklmnop1234'), { name: 'join_group', groupId: 'photos', invite: 'abcdefghijklmnop1234' });
});

test('file names may have spaces: quoted, or as the rest of the line', () => {
  assert.deepEqual(ok('download_file photos "summer beach.jpg"'), { name: 'download_file', groupId: 'photos', file: 'summer beach.jpg' });
  assert.deepEqual(ok('download_file photos summer beach.jpg'), { name: 'download_file', groupId: 'photos', file: 'summer beach.jpg' });
  assert.deepEqual(ok("stop_share photos it\\'s.txt"), { name: 'stop_share', groupId: 'photos', file: "it's.txt" });
});

test('wrong input gets a clear message, never a guess', () => {
  assert.match(err('create_user alice'), /create_user needs a password\. Usage: create_user <user> <password>/);
  assert.match(err('list_groups extra'), /list_groups takes no arguments/);
  assert.match(err('accept_request a b c'), /at most 2/);
  assert.match(err('frobnicate'), /Unknown command "frobnicate"/);
  assert.match(err('list_group'), /Did you mean list_groups\?/);
  assert.match(err('login "alice pw'), /quote \(" \) is not closed|quote \("\) is not closed/);
  assert.deepEqual(parseCommand('   '), { ok: 'empty' });
});

test('tokenize keeps quoted spaces and reports positions', () => {
  const r = tokenize(`a "b c" 'd'`);
  assert.ok(r.ok);
  assert.deepEqual(r.tokens.map((t) => t.text), ['a', 'b c', 'd']);
  assert.deepEqual(r.tokens.map((t) => [t.start, t.end]), [[0, 1], [2, 7], [8, 11]]);
});

test('passwords are masked in the echoed line, nothing else is', () => {
  assert.equal(maskSecrets('login alice wonderland'), 'login alice ••••');
  assert.equal(maskSecrets('create_user bob "pass word"'), 'create_user bob ••••');
  assert.equal(maskSecrets('join_group photos'), 'join_group photos');
  assert.equal(maskSecrets('login alice'), 'login alice');
});

test('tab completion of command words', () => {
  assert.deepEqual(completeCommand('list_r'), ['list_requests']);
  assert.deepEqual(completeCommand('list_').sort(), ['list_files', 'list_groups', 'list_invites', 'list_requests']);
  assert.deepEqual(completeCommand('zzz'), []);
});

test('show_downloads: [D] [group] name while downloading, [C] [group] name when complete', () => {
  assert.deepEqual(
    formatDownloads([
      { groupId: 'photos', name: 'beach.jpg', state: 'downloading', progress: 0.5 },
      { groupId: 'photos', name: 'dog.png', state: 'paused', progress: 0.25 },
      { groupId: 'band', name: 'demo.mp3', state: 'complete', progress: 1 },
    ]),
    ['[D] [photos] beach.jpg  50.0%', '[D] [photos] dog.png  25.0% (paused)', '[C] [band] demo.mp3'],
  );
  assert.match(formatDownloads([])[0]!, /No downloads/);
});

test('groups list in one line each', () => {
  assert.deepEqual(formatGroups([{ groupId: 'photos', owner: 'alice', members: 2, status: 'member' }]), ['photos  owner alice  2 members  you: member']);
});

const file = (fileId: string, name: string): FileSummary => ({ fileId, groupId: 'g', name, size: 1, pieceCount: 1, sharedBy: 'a', sharedAt: 0, holdersOnline: 0 });

test('a file is found by exact name or id prefix; ambiguity is refused', () => {
  const a = file('aaaaaaaa' + '0'.repeat(32), 'x.txt');
  const b = file('aaaaaabb' + '0'.repeat(32), 'x.txt');
  const c = file('cccccccc' + '0'.repeat(32), 'y.txt');
  assert.deepEqual(findFile([a, c], 'x.txt'), { ok: true, file: a });
  assert.deepEqual(findFile([a, b, c], 'cccccc'), { ok: true, file: c });
  assert.match((findFile([a, b, c], 'x.txt') as { error: string }).error, /Several files are named "x.txt"/);
  assert.match((findFile([a, b, c], 'aaaaaa') as { error: string }).error, /type more of it/);
  assert.match((findFile([a, b], 'zzz') as { error: string }).error, /No file named "zzz"/);
});

test('session commands: sessions, revoke_session <id>, logout_all', () => {
  assert.deepEqual(ok('sessions'), { name: 'sessions' });
  assert.deepEqual(ok('revoke_session 3F9A0C1D2B4E5F60'), { name: 'revoke_session', sessionId: '3f9a0c1d2b4e5f60' });
  assert.deepEqual(ok('logout_all'), { name: 'logout_all' });
  assert.match(err('revoke_session'), /needs a session/);
  assert.match(err('logout_all now'), /takes no arguments/);
  for (const name of ['sessions', 'revoke_session', 'logout_all']) ok(helpText(name).at(-1)!.slice('example: '.length));
});

test('sessions marks this one and never shows more than the public id', () => {
  const lines = formatSessions([
    { sessionId: 'aaaaaaaaaaaaaaaa', openedAt: 0, renewedAt: 0, expiresAt: 1, current: false },
    { sessionId: 'bbbbbbbbbbbbbbbb', openedAt: 0, renewedAt: 0, expiresAt: 1, current: true },
  ]);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^ {2}aaaaaaaaaaaaaaaa/);
  assert.match(lines[1]!, /^\* bbbbbbbbbbbbbbbb.*\(this one\)$/);
});

test('the owner\'s door commands parse and have help', () => {
  for (const name of ['remove_member', 'list_invites', 'revoke_invite']) {
    const help = helpText(name);
    assert.match(help[0]!, new RegExp(`^usage: ${name}`));
    ok(help.at(-1)!.slice('example: '.length));
  }
  assert.deepEqual(ok('remove_member photos bob'), { name: 'remove_member', groupId: 'photos', userId: 'bob' });
  assert.deepEqual(ok('list_invites photos'), { name: 'list_invites', groupId: 'photos' });
  assert.deepEqual(ok('revoke_invite photos ta:12'), { name: 'revoke_invite', groupId: 'photos', inviteId: 'ta:12' });
  assert.match(err('remove_member photos'), /needs a user/);
  assert.match(err('revoke_invite photos'), /needs a invite_id/);
});
