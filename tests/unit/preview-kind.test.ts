/** What a download can be previewed as (web/src/ui/preview.ts): pure, from its name and what the browser plays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewKind, previewUrl, readyFromStart } from '../../web/src/ui/preview.ts';

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
