/** The command line reads the web console's grammar in its 'cli' dialect: the classic client's arguments, same words and rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, helpText, maskSecrets, parseCommand } from '../../client/commands/parse.ts';
import { formatDownloads } from '../../client/commands/run.ts';
import { exitOf, parseRate } from '../../cli/main.ts';
import { trackerWsUrl } from '../../cli/paths.ts';
import { Exit } from '../../cli/exit-codes.ts';
import { ConsoleError } from '../../client/commands/run.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';

const cli = (line: string) => parseCommand(line, 'cli');

test('upload_file and download_file take the classic arguments on the command line', () => {
  assert.deepEqual(cli('upload_file ./holiday.mp4 family'), { ok: true, command: { name: 'upload_file', path: './holiday.mp4', groupId: 'family' } });
  assert.deepEqual(cli('download_file family "report one.pdf" ./out/'), { ok: true, command: { name: 'download_file', groupId: 'family', file: 'report one.pdf', dest: './out/' } });
  assert.match((cli('download_file family report.pdf') as { error: string }).error, /needs a destination_path\. Usage: download_file <group> <file> <destination_path>/);
  assert.match((cli('upload_file family') as { error: string }).error, /needs a group\. Usage: upload_file <file_path> <group>/);
  // The browser's dialect is unchanged.
  assert.deepEqual(parseCommand('upload_file family'), { ok: true, command: { name: 'upload_file', groupId: 'family' } });
});

test('every command parses the same in both dialects where their arguments are the same, and each cli example parses', () => {
  for (const spec of COMMANDS) {
    const example = helpText(spec.name, 'cli').at(-1)!.slice('example: '.length);
    assert.equal(cli(example).ok, true, example);
    if (!spec.cli) assert.deepEqual(cli(spec.example), parseCommand(spec.example), spec.name);
  }
  assert.match(helpText(undefined, 'cli').join('\n'), /upload_file <file_path> <group>/);
  assert.equal(maskSecrets('login alice "pass word"', 'cli'), 'login alice ••••');
});

test('show_downloads names each connected peer and its path when known', () => {
  assert.deepEqual(
    formatDownloads([{ groupId: 'family', name: 'report.pdf', state: 'downloading', progress: 0.37, peers: [{ userId: 'alice', path: 'direct' }, { userId: 'bob', path: 'relayed' }, { userId: 'carol' }] }]),
    ['[D] [family] report.pdf  37.0% · alice direct, bob relayed, carol'],
  );
});

test('rates, tracker URLs and exit codes', () => {
  assert.equal(parseRate('2M'), 2 * 1024 * 1024);
  assert.equal(parseRate('500k'), 500 * 1024);
  assert.equal(parseRate('1000'), 1000);
  assert.throws(() => parseRate('fast'), /not a rate/);
  assert.equal(trackerWsUrl('https://share.example.org'), 'wss://share.example.org/ws');
  assert.equal(trackerWsUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/ws');
  assert.equal(trackerWsUrl('ws://127.0.0.1:8080/ws'), 'ws://127.0.0.1:8080/ws');
  assert.equal(trackerWsUrl('share.example.org'), 'ws://share.example.org/ws');
  assert.throws(() => trackerWsUrl('ftp://x'), /not a tracker URL/);
  assert.equal(exitOf(new MeshdropError(ErrorCode.BadCredentials, 'x')), Exit.Auth);
  assert.equal(exitOf(new MeshdropError(ErrorCode.NotMember, 'x')), Exit.Refused);
  assert.equal(exitOf(new MeshdropError(ErrorCode.Timeout, 'x')), Exit.Network);
  assert.equal(exitOf(new ConsoleError('x', 'local')), Exit.Local);
});

test('download_file takes one path of a batch as a fourth argument; show_downloads says how much of a batch fetched in part is here', () => {
  assert.deepEqual(cli('download_file family holiday ./out/ "holiday/day 2/b.bin"'), {
    ok: true,
    command: { name: 'download_file', groupId: 'family', file: 'holiday', dest: './out/', path: 'holiday/day 2/b.bin' },
  });
  assert.match((cli('download_file family holiday ./out/ a b') as { error: string }).error, /takes at most 4\. Usage: download_file <group> <file> <destination_path> \[path_in_batch\]/);
  assert.deepEqual(
    formatDownloads([
      { groupId: 'family', name: 'holiday', state: 'downloading', progress: 1, part: { files: 1, of: 4, done: true } },
      { groupId: 'family', name: 'trip', state: 'downloading', progress: 0.5, part: { files: 2, of: 3, done: false } },
    ]),
    ['[P] [family] holiday  1 of its 4 files here', '[D] [family] trip  50.0% of 2 of its 3 files'],
  );
});
