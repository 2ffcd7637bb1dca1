/**
 * What a batch's row says of a download of some of its files (issue 13
 * item 7): which files are here (every piece covering them verified), which
 * are on their way, and the words for it. Pure: the piece marks and the
 * file list in, the row's state out.
 */
import type { BatchFile } from '../../../protocol/batch.ts';
import { PIECE_SIZE } from '../../../protocol/constants.ts';
import { fileHeld } from '../../../client/wanted.ts';
import type { PieceMark } from './transfers.svelte.ts';

export type BatchFileState = 'here' | 'arriving' | 'paused' | 'not-asked';

/** Each file's state, in list order, for a download `d` of the batch (undefined: none here). */
export function batchFileStates(
  files: readonly BatchFile[],
  d: { state: 'downloading' | 'paused' | 'complete'; pieces: readonly PieceMark[]; wanted?: { paths: string[] } } | undefined,
): BatchFileState[] {
  if (!d) return files.map(() => 'not-asked');
  const asked = d.wanted ? new Set(d.wanted.paths) : undefined;
  return files.map((f, i) => {
    if (fileHeld(files, i, PIECE_SIZE, (p) => d.pieces[p] === 'done')) return 'here';
    if (asked && !asked.has(f.path)) return 'not-asked';
    return d.state === 'paused' ? 'paused' : 'arriving';
  });
}

/** "1 of 3 files here". */
export function filesHereText(states: readonly BatchFileState[]): string {
  const here = states.filter((s) => s === 'here').length;
  return `${here} of ${states.length} file${states.length === 1 ? '' : 's'} here`;
}
