/**
 * A preview that cannot play says so (issue 13, item 9), in real Chromium
 * through the UI. Preview is offered by a file's type (`canPlayType` of
 * video/webm says "maybe"), but what is inside decides: a `.webm` that is
 * not a video, or a `.bmp` that is not a picture, fails in the player. The
 * preview then says in plain words that this browser cannot play (or show)
 * it and that Save still works, instead of an empty black player or a
 * broken-image icon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { dropFile } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';

test('a .webm that is not a video, and a .bmp that is not a picture: the preview says this browser cannot play or show it', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const B = bob.page;
  await withBrowserErrors([alice, bob], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'junk', 'noise.webm', randomBytes(700_000));
    await dropFile(alice.page, 'noise.bmp', randomBytes(300_000));
    await alice.page.getByRole('button', { name: 'Stop sharing noise.bmp' }).waitFor();
    await bobJoinsByInvite(bob, invite);
    await B.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    for (const name of ['noise.webm', 'noise.bmp']) {
      await B.getByRole('button', { name: `Download ${name}` }).click();
    }
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();

    const video = B.getByRole('article', { name: 'noise.webm in junk' });
    await video.getByRole('button', { name: 'Preview noise.webm' }).click();
    const videoPreview = video.getByRole('region', { name: 'Preview of noise.webm' });
    await videoPreview.getByRole('alert').filter({ hasText: 'This browser cannot play noise.webm: it is not in a format this browser knows, or it is damaged. Once it is downloaded, save it and open it with another program.' }).waitFor({ timeout: 60_000 });
    assert.equal(await videoPreview.locator('video').count(), 0, 'no empty player left on screen');

    const image = B.getByRole('article', { name: 'noise.bmp in junk' });
    await image.getByRole('button', { name: 'Preview noise.bmp' }).click();
    const imagePreview = image.getByRole('region', { name: 'Preview of noise.bmp' });
    await imagePreview.getByRole('alert').filter({ hasText: 'This browser cannot show noise.bmp: it is not in a format this browser knows, or it is damaged. Once it is downloaded, save it and open it with another program.' }).waitFor({ timeout: 60_000 });
    assert.equal(await imagePreview.locator('img').count(), 0, 'no broken-image icon left on screen');
  });
  assertNoBrowserErrors(alice, bob);
});
