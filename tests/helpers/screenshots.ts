/**
 * Where an e2e test saves a screenshot. Every run takes them (so the screens
 * are exercised), but only `MESHDROP_SCREENSHOTS=docs npm test` writes the
 * committed copies under docs/screenshots; ordinary runs write to a temp
 * folder and leave the working tree clean.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './tracker.ts';

const dir = process.env.MESHDROP_SCREENSHOTS === 'docs' ? join(ROOT, 'docs/screenshots') : join(tmpdir(), 'meshdrop-screenshots');
mkdirSync(dir, { recursive: true });

export const screenshotPath = (name: string): string => join(dir, name);
