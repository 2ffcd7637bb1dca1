/** Words people read (issue 13 items 12, 14 and the leftovers): show_downloads says a stalled download waits; a too-long file name says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDownloads, WAITING_WORDS } from '../../client/commands/run.ts';
import { fileNameTooLong } from '../../client/commands/format.ts';
import { describeError, InWords } from '../../client/commands/errors.ts';
import { ErrorCode, MeshdropError } from '../../protocol/errors.ts';
import { MAX_FILE_NAME_LENGTH, PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { versionMismatchMessage } from '../../tracker-server/gateway/connection.ts';

test('show_downloads says a stalled download is waiting for someone who has the rest', () => {
  assert.equal(WAITING_WORDS, 'waiting: nobody online has the rest of this file');
  assert.deepEqual(formatDownloads([{ groupId: 'family', name: 'report.pdf', state: 'downloading', progress: 0.37, peers: [], waiting: true }]), [
    '[D] [family] report.pdf  37.0% · waiting: nobody online has the rest of this file',
  ]);
  assert.deepEqual(
    formatDownloads([{ groupId: 'family', name: 'report.pdf', state: 'downloading', progress: 0.37, peers: [{ userId: 'alice', path: 'direct' }] }]),
    ['[D] [family] report.pdf  37.0% · alice direct'],
    'a moving download says nothing of waiting',
  );
  assert.deepEqual(formatDownloads([{ groupId: 'family', name: 'report.pdf', state: 'paused', progress: 0.37, waiting: true }]), ['[D] [family] report.pdf  37.0% (paused)'], 'paused is paused');
});

test('a file name over the limit is said as such, with its length and the fix', () => {
  assert.equal(fileNameTooLong('a'.repeat(MAX_FILE_NAME_LENGTH)), undefined);
  const words = fileNameTooLong('a'.repeat(300));
  assert.equal(words, 'File names are at most 255 characters; this one has 300. Rename the file and share it again.');
  assert.equal(describeError(new InWords(ErrorCode.InvalidMessage, words!)), words, 'shown as it is, not "Something you entered is not valid."');
});

test('a protocol-version refusal says what to do on a page and on the command line, whichever side is older', () => {
  const said = describeError(new MeshdropError(ErrorCode.VersionMismatch, versionMismatchMessage(PROTOCOL_VERSION - 1)));
  assert.match(said, /Reload the page or update meshdrop/);
  assert.match(said, /the tracker needs updating/);
});
