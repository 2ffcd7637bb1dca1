/**
 * What a download can be previewed as while it arrives (issue 13, item 9):
 * pure, from the file's name (mrmime) and what this browser says it plays.
 * The bytes come from the service worker's /preview/<fileId> (web/build/sw-body.js).
 */
import { lookup } from 'mrmime';

export type PreviewKind = 'image' | 'audio' | 'video' | 'pdf';

/** What the browser can do; in a page: `browserAbilities()`. */
export interface Abilities {
  /** HTMLMediaElement.canPlayType: '' when it cannot. */
  canPlay: (mime: string) => string;
  /** navigator.pdfViewerEnabled */
  pdf: boolean;
}

/** The preview this file gets here, or undefined (an unknown type, or one this browser cannot play). */
export function previewKind(name: string, can: Abilities): PreviewKind | undefined {
  const mime = mimeOf(name);
  if (mime.startsWith('image/')) return 'image';
  if (mime === 'application/pdf') return can.pdf ? 'pdf' : undefined;
  const media = mime.startsWith('audio/') ? 'audio' : mime.startsWith('video/') ? 'video' : undefined;
  return media && can.canPlay(mime) !== '' ? media : undefined;
}

export function mimeOf(name: string): string {
  return lookup(name) ?? 'application/octet-stream';
}

/** Where the service worker answers for a file's bytes. */
export function previewUrl(fileId: string): string {
  return `/preview/${encodeURIComponent(fileId)}`;
}

/** Bytes from the start of the file that are verified without a gap: what a player can read now. */
export function readyFromStart(pieces: readonly string[], pieceSize: number, size: number): number {
  let n = 0;
  while (n < pieces.length && pieces[n] === 'done') n++;
  return Math.min(size, n * pieceSize);
}

export function browserAbilities(): Abilities {
  const probe = typeof document !== 'undefined' ? document.createElement('video') : undefined;
  return {
    canPlay: (mime) => probe?.canPlayType(mime) ?? '',
    pdf: typeof navigator !== 'undefined' && (navigator as { pdfViewerEnabled?: boolean }).pdfViewerEnabled === true,
  };
}
