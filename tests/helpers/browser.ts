/**
 * Real Chromium for end-to-end tests: one browser process per simulated
 * person, each with its own on-disk profile (IndexedDB on disk, as a user has it),
 * closed and deleted at teardown. Console errors and page crashes are
 * collected and listed in the message of any failure that `check` reports.
 */
import assert from 'node:assert/strict';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Teardown } from './tracker.ts';

export const CHROMIUM = process.env.MESHDROP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for headless CI: no sandbox/GPU in CI containers, no QUIC, and no
 * background networking (without those Chromium keeps dialling hosts this
 * machine cannot reach). mDNS hiding off so chosen addresses read in logs.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // Timers in a page the test is not looking at must not be throttled: every person's tab is "in the background".
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Profile directory: survives page reloads, deleted at teardown. */
  profileDir: string;
  /** Console errors, uncaught exceptions and crashes seen so far, newest last. */
  errors: string[];
  /** Opens (or re-opens) a path of the test tracker's web app. */
  open(url: string): Promise<void>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Extra Chromium flags. */
  args?: string[];
  /** Console errors that are expected (matched as substrings) and not reported. */
  allowErrors?: string[];
  /** Another Chromium executable (e.g. a wrapper that runs it inside a network namespace). */
  executablePath?: string;
  /** The profile's preferences, written before the browser starts (e.g. `{ plugins: { always_open_pdf_externally: true } }`). */
  preferences?: object;
}

export async function launchPerson(t: Teardown, name: string, options: LaunchOptions = {}): Promise<Person> {
  const profileDir = await mkdtemp(join(tmpdir(), `meshdrop-${name}-`));
  if (options.preferences) {
    await mkdir(join(profileDir, 'Default'));
    await writeFile(join(profileDir, 'Default', 'Preferences'), JSON.stringify(options.preferences));
  }
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: options.executablePath ?? CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    acceptDownloads: true,
    viewport: { width: 1000, height: 800 },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close().catch(() => undefined);
  };
  // One teardown that closes the browser before deleting its profile (a live Chromium rewrites it).
  t.after(async () => {
    await close();
    await rm(profileDir, { recursive: true, force: true });
  });
  // tsx compiles test files with esbuild's keepNames, which wraps functions in `__name(...)`;
  // functions handed to page.evaluate carry that call into the page, so the page needs it too.
  await context.addInitScript('globalThis.__name ??= (fn) => fn;');
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const allowed = options.allowErrors ?? [];
  const record = (text: string) => {
    if (!allowed.some((a) => text.includes(a))) errors.push(`[${name}] ${text}`);
  };
  const watch = (p: Page) => {
    p.on('console', (msg) => {
      if (msg.type() === 'error') record(`console.error: ${msg.text()}`);
    });
    p.on('pageerror', (err) => record(`uncaught: ${err.stack ?? err.message}`));
    p.on('crash', () => record('page crashed'));
  };
  watch(page);
  context.on('page', watch);
  return {
    name,
    context,
    page,
    profileDir,
    errors,
    async open(url: string) {
      await page.goto(url, { waitUntil: 'load' });
    },
    close,
  };
}

/** Fails with every collected browser error when any person saw one. */
export function assertNoBrowserErrors(...people: Person[]): void {
  const errors = people.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], `errors in the browsers:\n${errors.join('\n')}`);
}

/**
 * Runs a test step and, when it throws, adds the browsers' errors to the
 * failure so a red test says what the pages saw.
 */
export async function withBrowserErrors<T>(people: Person[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const errors = people.flatMap((p) => p.errors);
    if (errors.length && err instanceof Error) err.message += `\n--- browser errors ---\n${errors.join('\n')}`;
    throw err;
  }
}
