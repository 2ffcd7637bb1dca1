/**
 * The interactive shell: commands line by line, a password left out is
 * asked for, and no password reaches the history file or the screen echo.
 * Run over a pipe here; on a terminal the prompt also mutes readline's echo
 * (cli/prompt.ts), checked through a pseudo-terminal when `script` exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestTracker } from '../helpers/tracker.ts';
import { cliPerson, MESHDROP_BIN } from '../helpers/cli.ts';

test('the shell runs commands, asks for a password left out, and keeps passwords out of its history', { timeout: 60_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await cliPerson(t, 'alice');
  const r = await alice.run(['--tracker', tracker.wsUrl], {
    stdin: ['create_user alice secret-one', 'login alice', 'secret-one', 'create_group family', 'list_groups', 'frobnicate', 'exit', ''].join('\n'),
  });
  assert.match(r.stdout, /Connected to ws:/);
  assert.match(r.stdout, /Account alice created/);
  assert.match(r.stdout, /Password: /);
  assert.match(r.stdout, /Signed in as alice/);
  assert.match(r.stdout, /family {2}owner alice {2}1 member {2}you: owner/);
  assert.match(r.stderr, /Unknown command "frobnicate"/);
  assert.doesNotMatch(r.stdout, /secret-one/, 'the password is not echoed back');
  const history = await readFile(join(alice.home, '.local/state/meshdrop/history'), 'utf8');
  assert.match(history, /^login alice$/m);
  assert.match(history, /^list_groups$/m);
  assert.doesNotMatch(history, /secret-one/, 'no password in the history file');
  // The shell's login is remembered for one-shot commands.
  assert.match((await alice.run(['list_groups'])).stdout, /family/);
});

test('on a terminal the password prompt does not echo what is typed', { timeout: 60_000, skip: !existsSync('/usr/bin/script') && 'no script(1) for a pseudo-terminal' }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await cliPerson(t, 'alice');
  await alice.run(['create_user', 'alice', 'secret-two', '--tracker', tracker.wsUrl]);
  // script(1) gives the command a pseudo-terminal; what it prints is what a person would see. The password is
  // typed once the prompt shows (typed ahead, the terminal itself would echo it before anyone could mute it).
  const child = spawn('script', ['-qec', `${process.execPath} ${MESHDROP_BIN} login alice --tracker ${tracker.wsUrl}`, '/dev/null'], { env: alice.env });
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    if (/Password: $/.test(stdout)) child.stdin.write('secret-two\r');
  });
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const shown = { status, stdout, stderr: '' };
  assert.equal(shown.status, 0, shown.stdout + shown.stderr);
  assert.match(shown.stdout, /Password: /);
  assert.match(shown.stdout, /Signed in as alice/);
  assert.doesNotMatch(shown.stdout, /secret-two/, 'the typed password was not echoed');
});
