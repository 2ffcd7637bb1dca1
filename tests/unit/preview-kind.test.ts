/** What a download can be previewed as (web/src/ui/preview.ts): pure, from its name and what the browser plays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewFailure, previewKind, previewUrl, readyFromStart } from '../../web/src/ui/preview.ts';

const chromium = { canPlay: (mime: string) => (['audio/wav', 'video/mp4', 'audio/mpeg', 'video/webm'].includes(mime) ? 'maybe' : ''), pdf: true };
const plain = { canPlay: () => '', pdf: false };

test('images, playable audio and video, and PDF where the browser shows it', () => {
  assert.equal(previewKind('cover.PNG', plain), 'image');
  assert.equal(previewKind('demo.wav', chromium), 'audio');
  assert.equal(previewKind('clip.mp4', chromium), 'video');
  assert.equal(previewKind('report.pdf', chromium), 'pdf');
  assert.equal(previewKind('report.pdf', plain), undefined);
  assert.equal(previewKind('clip.mp4', plain), undefined, 'a type this browser cannot play gets no Preview');
  assert.equal(previewKind('notes.bin', chromium), undefined);
  assert.equal(previewKind('no-extension', chromium), undefined);
});

test('ready from the start counts verified pieces without a gap, capped at the size', () => {
  assert.equal(readyFromStart(['done', 'done', 'missing', 'done'], 10, 35), 20);
  assert.equal(readyFromStart(['inflight', 'done'], 10, 15), 0);
  assert.equal(readyFromStart(['done', 'done'], 10, 15), 15);
  assert.equal(previewUrl('ab/c'), '/preview/ab%2Fc');
});

test('a preview the player gives up on says why in plain words; an aborted load says nothing', () => {
  assert.equal(
    previewFailure('video', 'noise.webm', 4),
    'This browser cannot play noise.webm: it is not in a format this browser knows, or it is damaged. Once it is downloaded, save it and open it with another program.',
  );
  assert.match(previewFailure('audio', 'a.mp3', 3)!, /^This browser cannot play a\.mp3:/, 'a decode error: the same words');
  assert.match(previewFailure('image', 'noise.bmp')!, /^This browser cannot show noise\.bmp:/);
  assert.match(previewFailure('video', 'clip.webm', 2)!, /^The preview of clip\.webm stopped: its pieces could not be read/, 'a network error is not the file\'s fault');
  assert.equal(previewFailure('video', 'clip.webm', 1), undefined);
});
