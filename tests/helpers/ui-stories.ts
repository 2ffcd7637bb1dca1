/**
 * The opening most UI tests share, as a person does it: alice signs up,
 * creates a group, makes an invite link (and drops a file into the group);
 * bob opens the link, signs up and joins. And the speed limit a test sets to keep
 * a download slow enough to watch, and such a download started. Built from
 * the steps in ui.ts.
 */
import type { Locator, Page } from 'playwright-core';
import type { Person } from './browser.ts';
import { allowClipboard, copyFrom, createGroup, dropFile, signUp } from './ui.ts';

export const ALICE_PASSWORD = 'wonderland';
export const BOB_PASSWORD = 'builder!';

/** Alice opens the tracker's app, signs up, creates `group` and makes an invite link; resolves with it, copied. */
export async function aliceInvites(httpUrl: string, alice: Person, group: string): Promise<string> {
  const A = alice.page;
  await allowClipboard(alice, httpUrl);
  await alice.open(`${httpUrl}/`);
  await signUp(A, 'alice', ALICE_PASSWORD);
  await createGroup(A, group);
  const invitePanel = A.getByRole('region', { name: 'Invite link' });
  await invitePanel.getByRole('button', { name: 'Make invite link' }).click();
  return copyFrom(A, invitePanel.getByRole('button', { name: 'Copy link' }));
}

/** Alice opens the tracker's app, signs up, creates `group`, shares `name`; resolves with her invite link. */
export async function aliceSharesWithInvite(httpUrl: string, alice: Person, group: string, name: string, bytes: Uint8Array): Promise<string> {
  const A = alice.page;
  const invite = await aliceInvites(httpUrl, alice, group);
  await dropFile(A, name, bytes);
  await A.getByText('shared', { exact: true }).waitFor();
  return invite;
}

/** Bob opens the invite link, signs up and joins with it. */
export async function bobJoinsByInvite(bob: Person, invite: string): Promise<void> {
  await bob.open(invite);
  await signUp(bob.page, 'bob', BOB_PASSWORD);
  await bob.page.getByRole('button', { name: 'Join with invite' }).click();
}

/** Alice creates `group` and invites bob, who joins by the link: resolves once bob sees the group, with no files yet. */
export async function bobJoinsAlicesEmptyGroup(httpUrl: string, alice: Person, bob: Person, group: string): Promise<void> {
  const invite = await aliceInvites(httpUrl, alice, group);
  await bobJoinsByInvite(bob, invite);
  await bob.page.getByText('No files yet.').waitFor();
}

/** Sets the download limit on the downloads page and comes back to where the page was. */
export async function setDownloadLimit(page: Page, kilobytesPerSecond: number): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
  await page.getByText('Speed limits').click();
  await page.getByRole('spinbutton', { name: 'Download limit in KB/s' }).fill(String(kilobytesPerSecond));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Applied').waitFor();
  await page.goBack();
}

/**
 * Starts the download of `name` (once its Download button shows) under a
 * download limit, so that it stays under way long enough to watch, and opens
 * the Downloads page; resolves with the download's card there.
 */
export async function downloadUnderLimit(page: Page, group: string, name: string, kilobytesPerSecond: number): Promise<Locator> {
  await page.getByRole('button', { name: `Download ${name}` }).waitFor();
  await setDownloadLimit(page, kilobytesPerSecond);
  await page.getByRole('button', { name: `Download ${name}` }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Downloads/ }).click();
  return page.getByRole('article', { name: `${name} in ${group}` });
}
