/**
 * Steps a person takes in the web app, by clicking and typing only (the
 * locators are the labels and roles a person reads on screen). No test
 * handle into the page: what these do, a keyboard-and-mouse user can do.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import type { Person } from './browser.ts';

export const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** Signs up on the sign-in screen (the form registers and signs in). */
export async function signUp(page: Page, user: string, password: string): Promise<void> {
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function createGroup(page: Page, groupId: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
  await page.getByPlaceholder('group name').fill(groupId);
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('heading', { name: groupId, level: 1 }).waitFor();
}

/** Clicks a copy button and reads what landed on the clipboard, as a paste would. */
export async function copyFrom(page: Page, button: Locator): Promise<string> {
  await button.click();
  await page.getByRole('button', { name: 'Copied' }).first().waitFor();
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Lets the page use the clipboard (a person would be asked once). */
export async function allowClipboard(person: Person, origin: string): Promise<void> {
  await person.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
}

/** Drops a file on the group's drop zone, as dragging it from the desktop does. */
export async function dropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64 }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
      return dt;
    },
    { name, b64: Buffer.from(bytes).toString('base64') },
  );
  const zone = page.getByRole('region', { name: /Drop files here/ });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
}

/** Drops several files at once on the drop zone, as a DataTransfer built in the page. */
export async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of list) {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') })));
  const zone = page.getByRole('region', { name: /Drop files here/ });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
}

/** Clicks a save button and returns the bytes the browser saved to disk. */
export async function saveDownload(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = await download.path();
  assert.ok(path, 'the browser saved the file');
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}

/** Opens the command console (Ctrl+`) if it is closed. */
export async function openConsole(page: Page): Promise<Locator> {
  const input = page.getByRole('textbox', { name: 'Command', exact: true });
  if (!(await input.isVisible())) await page.keyboard.press('Control+Backquote');
  await input.waitFor();
  return input;
}

/**
 * Types a command, presses Enter, and returns the output lines it printed
 * (everything after its echo line, once the input is usable again).
 */
export async function runCommand(page: Page, line: string): Promise<string[]> {
  const input = await openConsole(page);
  const log = page.getByRole('log', { name: 'Console output' });
  const before = await log.locator('.line').count();
  await input.fill(line);
  await input.press('Enter');
  await page.waitForFunction(
    (n) => {
      const lines = document.querySelectorAll('[aria-label="Console output"] .line');
      const input = document.getElementById('console-input') as HTMLInputElement | null;
      return lines.length > n + 1 && input !== null && !input.disabled;
    },
    before,
  );
  const texts = await log.locator('.line').allTextContents();
  return texts.slice(before + 1);
}

/**
 * Presses Tab until the focused element is the one named (its label, its
 * aria-label or its text), as a keyboard user moves through a page.
 */
export async function tabTo(page: Page, name: string, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const labelled = (el as HTMLInputElement).labels?.[0]?.textContent ?? '';
      return [el.getAttribute('aria-label') ?? '', labelled.trim(), (el.textContent ?? '').trim(), el.getAttribute('placeholder') ?? ''].join('\n');
    });
    if (focused.split('\n').some((s) => s === name || s.startsWith(`${name}\n`) || s.split('\n')[0] === name)) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}
