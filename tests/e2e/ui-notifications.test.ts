/**
 * Browser notifications (issue 13 item 15), in real Chromium with the
 * permission granted as a person's "Allow" would: after a click on "Notify
 * me", the owner is notified of a join request while she looks at another
 * screen, not while her focused tab shows that group's page; a member is
 * notified when a download finishes while he looks at the group page. Read
 * from the service worker's registration, where the app shows them, once
 * each show has settled (tests/helpers/notifications.ts says why).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors } from '../helpers/browser.ts';
import { signUp } from '../helpers/ui.ts';
import { aliceSharesWithInvite, bobJoinsByInvite } from '../helpers/ui-stories.ts';
import { screenshotPath } from '../helpers/screenshots.ts';
import { allowNotifications, notificationShows, waitForNotification } from '../helpers/notifications.ts';

test('"Notify me": a join request and a finished download become browser notifications, not while that screen is in sight', { timeout: 170_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice');
  const bob = await launchPerson(t, 'bob');
  const carol = await launchPerson(t, 'carol');
  const A = alice.page;
  const B = bob.page;
  for (const p of [alice, bob]) await allowNotifications(p.context, tracker.httpUrl);
  await withBrowserErrors([alice, bob, carol], async () => {
    const invite = await aliceSharesWithInvite(tracker.httpUrl, alice, 'family', 'notes.bin', new Uint8Array(300_000).fill(9));

    // Alice turns notifications on from the group's join requests, then looks at her downloads.
    const requests = A.getByRole('region', { name: 'Join requests' });
    await requests.getByRole('checkbox', { name: 'Notify me' }).check();
    await requests.getByText('You will be notified when a download finishes or someone asks to join your group.').waitFor();
    await A.screenshot({ path: screenshotPath('notify-me.png') });
    await A.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();

    await carol.open(`${tracker.httpUrl}/g/family`);
    await signUp(carol.page, 'carol', 'carolpw1');
    await carol.page.getByRole('region', { name: 'Join' }).getByRole('button', { name: 'Ask to join' }).click();
    const seen = await waitForNotification(A, 'carol asks to join family');
    assert.deepEqual(seen, [{ title: 'carol asks to join family', body: 'Open the group to accept or reject.' }]);

    // On the group's page, focused: the request is on screen, so no notification.
    await A.goBack();
    await A.bringToFront();
    await requests.getByRole('button', { name: 'Accept carol' }).waitFor();
    const focused = await A.evaluate(() => document.hasFocus() && document.visibilityState === 'visible');
    await bobJoinsByInvite(bob, invite); // joins at once: no request
    await B.getByRole('heading', { name: 'Files' }).waitFor();
    // A request from someone else, with the group page in sight.
    const dan = await launchPerson(t, 'dan');
    await dan.open(`${tracker.httpUrl}/g/family`);
    await signUp(dan.page, 'dan', 'danpw123');
    await dan.page.getByRole('region', { name: 'Join' }).getByRole('button', { name: 'Ask to join' }).click();
    await requests.getByRole('button', { name: 'Accept dan' }).waitFor();
    if (focused) {
      assert.deepEqual((await notificationShows(A)).filter((n) => n.startsWith('dan')), [], 'the focused group page already shows the request');
    } else {
      t.diagnostic('this headless browser reports the page unfocused: the "in sight" case is covered by tests/unit/notify.test.ts');
    }

    // Bob asks for notifications on his downloads page, then downloads from the group page.
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
    await B.getByRole('checkbox', { name: 'Notify me' }).check();
    await B.goBack();
    await B.getByRole('button', { name: 'Download notes.bin' }).click();
    const bobSees = await waitForNotification(B, 'notes.bin is downloaded');
    assert.deepEqual(bobSees, [{ title: 'notes.bin is downloaded', body: 'Save it from the Downloads page.' }]);
  });
  assertNoBrowserErrors(alice, bob, carol);
});
