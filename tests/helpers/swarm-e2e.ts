/**
 * Shared steps of the transfer e2e scenarios: people in their own Chromium,
 * each with a harness session (tests/harness/harness-session.ts) on a real
 * tracker, a group they all belong to, files shared from real files on disk
 * and saved through the browser's real download.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchPerson, type LaunchOptions, type Person } from './browser.ts';
import { tempDir, type Teardown } from './tracker.ts';
import type { SessionOptions } from '../harness/harness-session.ts';

export const sha1 = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

/** Opens the harness page of the tracker at `httpUrl` and starts a session there. */
export async function openSession(person: Person, httpUrl: string, options: Omit<SessionOptions, 'userId'> & { userId?: string } = {}): Promise<void> {
  await person.open(`${httpUrl}/harness.html`);
  await person.page.evaluate(async (o) => {
    await window.meshdropHarness.startSession(o);
  }, { userId: person.name, ...options });
}

export async function personWithSession(
  t: Teardown,
  name: string,
  httpUrl: string,
  options: Omit<SessionOptions, 'userId'> = {},
  launch: LaunchOptions = {},
): Promise<Person> {
  const person = await launchPerson(t, name, launch);
  await openSession(person, httpUrl, options);
  return person;
}

/** `owner` creates the group; every other person joins and is accepted. */
export async function formGroup(groupId: string, owner: Person, members: Person[]): Promise<void> {
  await owner.page.evaluate((g) => window.meshdropHarness.s().tracker.request('create_group', { groupId: g }), groupId);
  for (const m of members) {
    await m.page.evaluate((g) => window.meshdropHarness.s().tracker.request('join_group', { groupId: g }), groupId);
    await owner.page.evaluate(
      ([g, u]) => window.meshdropHarness.s().tracker.request('accept_request', { groupId: g!, userId: u! }),
      [groupId, m.name],
    );
  }
}

/** A random file on disk; returns its bytes and SHA-1. */
export async function randomFileOnDisk(t: Teardown, size: number, name = 'random.bin') {
  const dir = await tempDir(t, 'meshdrop-files-');
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, name, bytes, sha1: sha1(bytes) };
}

/** Chooses the file in the harness page's <input type=file> and shares it into the group, pieces kept in IndexedDB. */
export async function shareFile(person: Person, path: string, groupId: string): Promise<string> {
  await person.page.setInputFiles('#file', path);
  const { fileId } = await person.page.evaluate(
    (g) => window.meshdropHarness.s().share(window.meshdropHarness.pickedFile(), g, { keep: 'store' }),
    groupId,
  );
  return fileId;
}

export async function startDownload(person: Person, fileId: string): Promise<void> {
  await person.page.evaluate((f) => window.meshdropHarness.s().engine.download(f), fileId);
}

/** Waits for the download to complete; on timeout fails with what the engine showed (peers, pieces, events). */
export async function waitComplete(person: Person, fileId: string, timeoutMs = 180_000): Promise<void> {
  const done = person.page.evaluate((f) => window.meshdropHarness.s().engine.whenComplete(f), fileId);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    if ((await Promise.race([done, late])) !== 'late') return;
  } finally {
    clearTimeout(timer);
  }
  done.catch(() => undefined);
  const state = await person.page.evaluate((f) => {
    const s = window.meshdropHarness.s();
    const i = s.engine.info(f);
    return JSON.stringify({ state: i?.state, piecesDone: i?.piecesDone, pieceCount: i?.pieceCount, peers: i?.peers, dropped: i?.dropped, events: s.events, tracker: s.tracker.status });
  }, fileId);
  throw new Error(`${person.name} did not complete ${fileId} in ${timeoutMs} ms: ${state}`);
}

/** Saves through the browser's own download (Blob URL over the stored pieces) and returns the saved bytes. */
export async function saveAndRead(person: Person, fileId: string): Promise<Buffer> {
  const [download] = await Promise.all([
    person.page.waitForEvent('download', { timeout: 120_000 }),
    person.page.evaluate((f) => window.meshdropHarness.s().save(f, 'download'), fileId),
  ]);
  const failure = await download.failure();
  assert.equal(failure, null, 'the browser saved the file');
  return readFile((await download.path())!);
}

/** The engine's view of one file (DownloadInfo), as the UI would show it. */
export function info(page: Page, fileId: string) {
  return page.evaluate((f) => {
    const i = window.meshdropHarness.s().engine.info(f);
    return i && JSON.parse(JSON.stringify(i));
  }, fileId) as Promise<import('../../client/engine.ts').DownloadInfo | undefined>;
}
