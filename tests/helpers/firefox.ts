/**
 * Real Firefox for end-to-end tests: Debian's firefox-esr, headless, driven
 * by puppeteer-core over WebDriver BiDi (Playwright's Firefox needs its own
 * patched build, which cannot be downloaded here). One browser process per
 * person, each with a fresh profile in a temp dir, removed at teardown; its
 * downloads land in a directory of its own. Page errors are collected like
 * browser.ts does for Chromium, so a test can assert there were none.
 *
 * The UI steps below are ui.ts's, written for puppeteer: they find things by
 * role and accessible name, or by the text a person reads, never by a test id.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Teardown } from './tracker.ts';

export const FIREFOX = process.env.MESHDROP_FIREFOX ?? '/usr/bin/firefox-esr';

/** Firefox preferences a test needs, each with its reason. */
export function firefoxPrefs(downloadDir: string): Record<string, unknown> {
  return {
    // Two browsers on one machine must find each other: offer loopback and plain host
    // addresses (Firefox hides host addresses behind .local mDNS names by default, and
    // nothing here promises that a Chromium on the same machine resolves them) and
    // keep candidates on every interface, not only the default route's.
    'media.peerconnection.ice.loopback': true,
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    'media.peerconnection.ice.default_address_only': false,
    'media.peerconnection.ice.no_host': false,
    // No permission prompt can be answered headless: allow what the app may ask for.
    'permissions.default.desktop-notification': 1,
    'dom.events.asyncClipboard.readText': true,
    'dom.events.testing.asyncClipboard': true,
    // IndexedDB in a test profile must not ask about or evict its quota.
    'dom.quotaManager.testing': true,
    'dom.storage.next_gen': true,
    // Saves go straight to this person's downloads dir, without a dialog or a downloads panel.
    'browser.download.folderList': 2,
    'browser.download.dir': downloadDir,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.download.start_downloads_in_tmp_dir': false,
    'browser.download.panel.shown': true,
    'browser.download.alwaysOpenPanel': false,
    'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
    // Timers in a page the test is not looking at must not be throttled: every person's tab is "in the background".
    'dom.min_background_timeout_value': 4,
    'dom.timeout.enable_budget_timer_throttling': false,
    // Nothing reaches outside the machine: no update, telemetry or captive-portal checks.
    'app.update.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'browser.safebrowsing.downloads.remote.enabled': false,
  };
}

export interface FirefoxPerson {
  name: string;
  browser: Browser;
  page: Page;
  profileDir: string;
  downloadDir: string;
  /** Page errors and console errors seen so far, newest last. */
  errors: string[];
  open(url: string): Promise<void>;
  close(): Promise<void>;
}

export interface FirefoxOptions {
  /** Console errors that are expected (matched as substrings) and not reported. */
  allowErrors?: string[];
}

export async function launchFirefoxPerson(t: Teardown, name: string, options: FirefoxOptions = {}): Promise<FirefoxPerson> {
  const profileDir = await mkdtemp(join(tmpdir(), `meshdrop-ff-${name}-`));
  const downloadDir = await mkdtemp(join(tmpdir(), `meshdrop-ff-${name}-dl-`));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profileDir,
    extraPrefsFirefox: firefoxPrefs(downloadDir),
    defaultViewport: { width: 1000, height: 800 },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => undefined);
  };
  // Close the browser before deleting its profile (a live Firefox rewrites it).
  t.after(async () => {
    await close();
    await rm(profileDir, { recursive: true, force: true });
    await rm(downloadDir, { recursive: true, force: true });
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  // tsx compiles with esbuild's keepNames: functions handed to the page carry `__name(...)` calls.
  await page.evaluateOnNewDocument('globalThis.__name ??= (fn) => fn;');
  const errors: string[] = [];
  const allowed = options.allowErrors ?? [];
  const record = (text: string) => {
    if (!allowed.some((a) => text.includes(a))) errors.push(`[${name} firefox] ${text}`);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') record(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => record(`uncaught: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  return {
    name,
    browser,
    page,
    profileDir,
    downloadDir,
    errors,
    async open(url: string) {
      await page.goto(url, { waitUntil: 'load' });
    },
    close,
  };
}

/** An element by ARIA role and accessible name (exact), as Playwright's getByRole. */
export const byRole = (role: string, name: string) => `::-p-aria([name=${JSON.stringify(name)}][role=${JSON.stringify(role)}])`;
/** An element whose text contains `text`, as Playwright's getByText. */
export const byText = (text: string) => `::-p-text(${JSON.stringify(text)})`;

const WAIT = { timeout: 30_000 };

async function click(page: Page, selector: string): Promise<void> {
  await page.locator(selector).setTimeout(WAIT.timeout).click();
}

/**
 * Types into the field labelled `label` (its <label> or aria-label), after
 * clearing it, as a person does: select all, then type.
 */
async function fillLabelled(page: Page, label: string, value: string): Promise<void> {
  const handle = await page.waitForFunction(
    (label: string) =>
      [...document.querySelectorAll('input, textarea, select')].find((el) => {
        const named = el.getAttribute('aria-label') === label || [...((el as HTMLInputElement).labels ?? [])].some((l) => l.textContent?.trim() === label);
        return named && (el as HTMLElement).offsetParent !== null && !(el as HTMLInputElement).disabled;
      }),
    { timeout: WAIT.timeout, polling: 100 },
    label,
  );
  const field = handle.asElement() as unknown as import('puppeteer-core').ElementHandle<HTMLInputElement>;
  await field.click({ count: 3 });
  await field.evaluate((el) => el.select());
  await page.keyboard.press('Backspace');
  if (value) await field.type(value);
}

/** Waits until an element matching `selector` is shown. */
export async function waitFor(page: Page, selector: string, timeout = WAIT.timeout): Promise<void> {
  await page.waitForSelector(selector, { visible: true, timeout });
}

/**
 * Waits until an element matching `css` whose text matches `text` is shown,
 * polling from here (a page function polled over BiDi can miss a quick change).
 */
export async function waitForTextIn(page: Page, css: string, text: string | RegExp, timeout = WAIT.timeout): Promise<void> {
  const deadline = Date.now() + timeout;
  let seen: string[] = [];
  for (;;) {
    seen = await page.$$eval(css, (els) => els.map((el) => (el as HTMLElement).innerText)).catch(() => []);
    if (seen.some((t) => (typeof text === 'string' ? t.includes(text) : text.test(t)))) return;
    // Say what was on screen instead: a red test names what the person saw.
    assert.ok(Date.now() < deadline, `never saw ${text} in ${css}; it showed:\n${seen.join('\n---\n') || '(nothing)'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Signs up on the sign-in screen (the form registers and signs in). */
export async function ffSignUp(page: Page, user: string, password: string): Promise<void> {
  await click(page, byRole('tab', 'Create account'));
  await fillLabelled(page, 'User name', user);
  await fillLabelled(page, 'Password', password);
  await click(page, byRole('button', 'Create account'));
  await waitFor(page, byRole('button', 'Sign out'));
}

/** Opens an invite link, signs up and joins with its one click. */
export async function ffJoinWithInvite(person: FirefoxPerson, invite: string, user: string, password: string): Promise<void> {
  await person.open(invite);
  await waitFor(person.page, byText('You have an invite to the group'));
  await ffSignUp(person.page, user, password);
  await click(person.page, byRole('button', 'Join with invite'));
  await waitFor(person.page, byRole('heading', 'Files'));
}

/** Drops a file on the group's drop zone, as dragging it from the desktop does. */
export async function ffDropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  await waitFor(page, '[role="region"][aria-label^="Drop files here"]');
  await page.evaluate(
    (name: string, b64: string) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
      const zone = document.querySelector('[role="region"][aria-label^="Drop files here"]')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    name,
    Buffer.from(bytes).toString('base64'),
  );
}

/** Clicks a named button (exact accessible name). */
export const ffClick = (page: Page, role: string, name: string) => click(page, byRole(role, name));
export const ffFill = fillLabelled;

/**
 * Clicks "Save <name>" and returns the bytes Firefox wrote to this person's
 * downloads dir, once the file is whole (no `.part` beside it, size stable).
 */
export async function ffSaveDownload(person: FirefoxPerson, fileName: string, size: number, timeout = 60_000): Promise<Buffer> {
  await click(person.page, byRole('button', `Save ${fileName}`));
  const path = join(person.downloadDir, fileName);
  const deadline = Date.now() + timeout;
  for (;;) {
    const names = await readdir(person.downloadDir);
    const partial = names.some((n) => n.endsWith('.part'));
    const st = await stat(path).catch(() => undefined);
    if (st && st.size === size && !partial) return readFile(path);
    assert.ok(Date.now() < deadline, `Firefox never saved ${fileName} whole (dir: ${names.join(', ') || 'empty'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function assertNoFirefoxErrors(...people: FirefoxPerson[]): void {
  const errors = people.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], `errors in Firefox:\n${errors.join('\n')}`);
}
