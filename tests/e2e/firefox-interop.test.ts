/**
 * Firefox and Chromium in one swarm, through the web app, by clicking and
 * typing only: a Chromium person (Debian's chromium, playwright-core) and a
 * Firefox person (Debian's firefox-esr, puppeteer-core over WebDriver BiDi)
 * sign up against a real tracker, join one group by invite, and share files
 * both ways over real WebRTC. Each download is saved to disk and matches the
 * original's SHA-1. Each downloader reloads mid-download: the download
 * resumes and completes (Firefox's is still listed after another reload).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestTracker } from '../helpers/tracker.ts';
import { assertNoBrowserErrors, launchPerson, withBrowserErrors, type Person } from '../helpers/browser.ts';
import { createGroup, dropFile, saveDownload, sha1, signUp } from '../helpers/ui.ts';
import {
  assertNoFirefoxErrors,
  byRole,
  ffClick,
  ffDropFile,
  ffFill,
  ffJoinWithInvite,
  ffSaveDownload,
  launchFirefoxPerson,
  waitFor,
  waitForTextIn,
  type FirefoxPerson,
} from '../helpers/firefox.ts';

/** A download cap that keeps a 3 MiB file running for ~15 s, so a reload lands mid-download. */
const SLOW_KBPS = '200';
/** A card part-way: "(16.7%)" to "(99.9%)". */
const PART_DONE = /\([1-9]\d?(?:\.\d)?%\)/;
/** The header's Downloads link (its name grows a count of active downloads). */
const DOWNLOADS_LINK = 'nav[aria-label="Main"] a[href="/downloads"]';
const card = (name: string, group: string) => `article[aria-label="${name} in ${group}"]`;

async function withErrors<T>(chromium: Person, firefox: FirefoxPerson, step: () => Promise<T>): Promise<T> {
  try {
    return await withBrowserErrors([chromium], step);
  } catch (err) {
    if (firefox.errors.length && err instanceof Error) err.message += `\n--- Firefox errors ---\n${firefox.errors.join('\n')}`;
    throw err;
  }
}

test('Chromium shares, Firefox downloads (reloaded mid-download, it resumes) and saves byte-exact; Firefox shares, Chromium does the same (reloaded mid-download too)', { timeout: 300_000 }, async (t) => {
  const tracker = await startTestTracker(t);
  const alice = await launchPerson(t, 'alice'); // Chromium
  const fox = await launchFirefoxPerson(t, 'fox'); // Firefox
  const A = alice.page;
  const F = fox.page;
  const fromChromium = randomBytes(3 * 1024 * 1024 + 777); // 7 pieces, the last one short
  const fromFirefox = randomBytes(3 * 1024 * 1024 + 4321);

  await withErrors(alice, fox, async () => {
    // Chromium: signs up, creates the group, makes an invite link.
    await alice.open(`${tracker.httpUrl}/`);
    await signUp(A, 'alice', 'wonderland');
    await createGroup(A, 'mixed');
    const invitePanel = A.getByRole('region', { name: 'Invite link' });
    await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
    await invitePanel.getByText(/^Expires /).waitFor();
    const invite = await invitePanel.getByRole('textbox', { name: 'Invite link' }).inputValue();

    // Firefox: opens the invite, signs up, joins with one click.
    await ffJoinWithInvite(fox, invite, 'fox', 'firefox!');
    await A.getByRole('region', { name: 'Members' }).getByText('fox').waitFor();

    // Chromium shares; Firefox sees it.
    await dropFile(A, 'from-chromium.bin', fromChromium);
    await A.getByRole('list', { name: 'Shared files' }).getByText('from-chromium.bin').waitFor();
    await waitFor(F, byRole('button', 'Download from-chromium.bin'));

    // Firefox caps its downloads (kept across reloads) so the reload lands mid-download.
    await F.locator(DOWNLOADS_LINK).click();
    await F.locator('::-p-text(Speed limits)').click();
    await ffFill(F, 'Download limit in KB/s', SLOW_KBPS);
    await ffClick(F, 'button', 'Apply');
    await waitFor(F, '::-p-text(Applied)');
    await F.locator('nav[aria-label="Main"] a[href="/"]').click();
    await F.locator('a[href="/g/mixed"]').click();
    await ffClick(F, 'button', 'Download from-chromium.bin');
    await F.locator(DOWNLOADS_LINK).click();
    await waitForTextIn(F, card('from-chromium.bin', 'mixed'), PART_DONE, 60_000);

    // Reload mid-download: it resumes by itself with what it had; lifting the cap lets it finish.
    await F.reload({ waitUntil: 'load' });
    await waitFor(F, byRole('button', 'Sign out'));
    await waitForTextIn(F, card('from-chromium.bin', 'mixed'), PART_DONE);
    await F.locator('::-p-text(Speed limits)').click();
    await ffFill(F, 'Download limit in KB/s', '');
    await ffClick(F, 'button', 'Apply');
    await waitForTextIn(F, card('from-chromium.bin', 'mixed'), 'Complete', 90_000);

    // Saved to disk by Firefox, byte for byte.
    const saved = await ffSaveDownload(fox, 'from-chromium.bin', fromChromium.length);
    assert.equal(sha1(saved), sha1(fromChromium));

    // The finished download is still there after a reload.
    await F.reload({ waitUntil: 'load' });
    await waitFor(F, byRole('button', 'Sign out'));
    await waitForTextIn(F, card('from-chromium.bin', 'mixed'), 'Complete');

    // The other way: Firefox shares, Chromium downloads and saves it byte for byte.
    await F.goto(`${tracker.httpUrl}/g/mixed`, { waitUntil: 'load' });
    await waitFor(F, byRole('heading', 'Files'));
    await ffDropFile(F, 'from-firefox.bin', fromFirefox);
    await waitForTextIn(F, 'main', 'from-firefox.bin');
    const download = A.getByRole('button', { name: 'Download from-firefox.bin' });
    // Chromium caps its downloads too, and reloads mid-download.
    const downloadsLink = A.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ });
    await downloadsLink.click();
    await A.getByText('Speed limits').click();
    const downLimit = A.getByRole('spinbutton', { name: 'Download limit in KB/s' });
    await downLimit.fill(SLOW_KBPS);
    await A.getByRole('button', { name: 'Apply' }).click();
    await A.getByText('Applied').waitFor();
    await A.goBack();
    await download.click({ timeout: 60_000 });
    await downloadsLink.click();
    const chromeCard = A.getByRole('article', { name: 'from-firefox.bin in mixed' });
    await chromeCard.getByText(PART_DONE).waitFor({ timeout: 60_000 });
    await A.reload();
    await A.getByRole('button', { name: 'Sign out' }).waitFor();
    await chromeCard.getByText(PART_DONE).waitFor();
    await A.getByText('Speed limits').click();
    await downLimit.fill('');
    await A.getByRole('button', { name: 'Apply' }).click();
    await chromeCard.getByText('Complete').waitFor({ timeout: 90_000 });
    const saved2 = await saveDownload(A, chromeCard.getByRole('button', { name: 'Save from-firefox.bin', exact: true }));
    assert.equal(saved2.bytes.length, fromFirefox.length);
    assert.equal(sha1(saved2.bytes), sha1(fromFirefox));
  });
  assertNoBrowserErrors(alice);
  assertNoFirefoxErrors(fox);
});
