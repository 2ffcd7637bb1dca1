/**
 * Video preview while downloading, and seeking in it (issue 13, item 9),
 * through the UI in real Chromium. The video is real: Chromium's own VP8
 * encoder (WebCodecs) encodes 60 s of frames in alice's tab and the test muxes
 * them into a seekable WebM (tests/helpers/webm.ts), about 6 MB, 12 pieces.
 * Bob downloads it under a speed limit and presses Preview: the video plays
 * from its first pieces before the download completes. Then he clicks the
 * player's own timeline near the end: the pieces that part of the file lies
 * in are fetched next, before the middle of the file (the picker's priority
 * window, moved by the service worker's range request), and it plays there,
 * still before the download completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { aliceSharesWithInvite, bobJoinsByInvite, downloadUnderLimit } from '../helpers/ui-stories.ts';
import { encodeVp8, muxWebm } from '../helpers/webm.ts';
import { PREVIEW_AHEAD_PIECES } from '../../protocol/constants.ts';
import { storedPieces } from '../helpers/stored-pieces.ts';

const PIECE = 512 * 1024;

test('a partly downloaded WebM plays from its start; a click near the end of its timeline fetches those pieces next and plays there', { timeout: 240_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const B = bob.page;

  // 60 s of 480×270 VP8 at about 0.8 Mbit/s (100 KB/s), a keyframe (and a cue) every second: about
  // 6 MB, 12 pieces. Fetched at 150 KB/s, faster than it plays, so Chromium starts playing after a
  // piece or two: it autoplays only once it reckons the download will outrun the playback
  // (canplaythrough), and a clip denser than the link would wait for most of its pieces first.
  const spec = { width: 480, height: 270, fps: 10, seconds: 60, keyEvery: 10, bitrate: 800_000 };
  await alice.open(`${tracker.httpUrl}/`); // a page of the origin: WebCodecs needs a secure context
  const clip = muxWebm(await encodeVp8(alice.page, spec), spec);
  const pieceCount = Math.ceil(clip.bytes.length / PIECE);
  t.diagnostic(`clip.webm: ${clip.bytes.length} bytes, ${pieceCount} pieces, ${clip.duration.toFixed(1)} s`);
  assert.ok(pieceCount >= 10, `a few MiB (${clip.bytes.length} bytes)`);

  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'film', 'clip.webm', clip.bytes);
    await bobJoinsByInvite(bob, invite);
    await B.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    // 6 MB at 150 KB/s take about 40 s: partial for the whole story.
    const card = await downloadUnderLimit(B, 'film', 'clip.webm', 150);
    await card.getByRole('button', { name: 'Preview clip.webm' }).click();
    const video = card.getByRole('region', { name: 'Preview of clip.webm' }).locator('video');
    await video.waitFor();
    const el = await video.elementHandle();
    const playing = () => video.evaluate((v: HTMLVideoElement) => ({ time: v.currentTime, ready: v.readyState }));
    await B.waitForFunction((v) => (v as HTMLVideoElement).readyState >= 1 && (v as HTMLVideoElement).videoWidth === 480, el, { timeout: 60_000 });
    assert.ok(Math.abs((await video.evaluate((v: HTMLVideoElement) => v.duration)) - clip.duration) < 0.1, 'the player knows the length');
    await B.waitForFunction((v) => (v as HTMLVideoElement).currentTime > 0.5, el, { timeout: 60_000 });
    assert.equal(await card.getByText('Complete').count(), 0, 'still downloading while it plays');

    // The player's own timeline (Chromium's controls: a bar 16 px in from each side, 22 px above the
    // bottom, shown while the pointer is over the video): a click near its end, at a point whose piece is
    // not stored yet (the first pieces a download starts with are random).
    const pieceAt = (time: number) => Math.floor(clip.clusters.filter((c) => c.time <= time).pop()!.offset / PIECE);
    const before = await storedPieces(B, 'bob');
    const fraction = [0.9, 0.85, 0.95, 0.8].find((f) => !before.includes(pieceAt(f * clip.duration)));
    assert.ok(fraction, `a point near the end whose piece is missing (stored: ${before})`);
    await video.hover();
    const box = (await video.boundingBox())!;
    await B.mouse.click(box.x + 16 + fraction * (box.width - 32), box.y + box.height - 22);
    const at = (await playing()).time;
    assert.ok(Math.abs(at - fraction * clip.duration) < 1, `the click at ${fraction * 100} % of the timeline landed near ${(fraction * clip.duration).toFixed(1)} s (at ${at.toFixed(2)} s)`);
    // The piece holding the cluster (keyframe) a player starts from to show `at`.
    const seekPiece = pieceAt(at);
    assert.ok(!before.includes(seekPiece), `piece ${seekPiece} was not there before the click (stored: ${before})`);

    // It plays there, before the download completes.
    await B.waitForFunction(([v, from]) => (v as HTMLVideoElement).currentTime > (from as number) + 0.5, [el, at] as const, { timeout: 90_000 });
    const after = await storedPieces(B, 'bob');
    assert.ok(after.length < pieceCount, `still partial while it plays at ${at.toFixed(1)} s (${after.length} of ${pieceCount} pieces)`);
    assert.equal(await card.getByText('Complete').count(), 0, 'still downloading while it plays near the end');

    // Fetched next: what arrived since the click is the seek's window (from seekPiece, PREVIEW_AHEAD_PIECES
    // on), apart from at most the pieces already half-received at the click, which are finished first.
    const arrived = after.filter((p) => !before.includes(p));
    const outside = arrived.filter((p) => p < seekPiece || p > seekPiece + PREVIEW_AHEAD_PIECES);
    assert.ok(arrived.includes(seekPiece), `piece ${seekPiece} arrived (arrived since the click: ${arrived})`);
    assert.ok(outside.length <= 2, `since the click, pieces ${arrived} arrived; ${outside} lie outside the seek's window ${seekPiece}–${seekPiece + PREVIEW_AHEAD_PIECES}`);
    const middle = Array.from({ length: seekPiece }, (_, i) => i).filter((p) => !after.includes(p));
    assert.ok(middle.length > 0, `the middle of the file was not fetched first (stored: ${after})`);
    t.diagnostic(`seek to ${at.toFixed(2)} s (piece ${seekPiece}); stored before the click: ${before}; after: ${after}`);
  });
  assertNoBrowserErrors(alice, bob);
});
