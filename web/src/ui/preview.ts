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

/** MediaError codes (HTMLMediaElement.error.code) the words below tell apart. */
const MEDIA_ERR_ABORTED = 1;
const MEDIA_ERR_NETWORK = 2;

/**
 * What a preview says when the player gives up, or undefined when there is
 * nothing to say (the load was aborted, e.g. the preview closed). Preview is
 * offered by a file's type; only the player learns what is inside, so a file
 * named .webm that holds no video fails there. `mediaError` is the element's
 * MediaError code (none for an image).
 */
export function previewFailure(kind: PreviewKind, name: string, mediaError?: number): string | undefined {
  if (mediaError === MEDIA_ERR_ABORTED) return undefined;
  if (mediaError === MEDIA_ERR_NETWORK) return `The preview of ${name} stopped: its pieces could not be read from this tab's download. Close the preview and open it again.`;
  const verb = kind === 'image' ? 'show' : 'play';
  return `This browser cannot ${verb} ${name}: it is not in a format this browser knows, or it is damaged. Once it is downloaded, save it and open it with another program.`;
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
