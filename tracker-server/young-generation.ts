/**
 * The tracker process's young generation (V8's semi-spaces), kept at the
 * size V8 starts it with. Called first thing in main.ts, before the state
 * is loaded.
 *
 * Why: V8 doubles the young generation whenever much of it survives a
 * scavenge, up to 16 MiB a semi-space (32 MiB resident) on 64-bit, and gives
 * it back only after a long quiet spell. A tracker's bursts are exactly that
 * case: loading the state at start-up, and thousands of peers connecting at
 * once (each leaves a connection, a session, a presence behind). So it sat
 * at 32 MiB resident for as long as it served: with 2,000 idle peers about
 * 7 of the 17 KiB of RSS each seemed to cost (bench/tracker.ts prints the
 * young generation per run), most of the gap to bittorrent-tracker. A tracker's work is small
 * messages whose garbage dies young; a nursery of V8's starting size
 * (1 MiB a semi-space) holds a whole burst of relayed signals, and a
 * scavenge costs what survives, not the nursery's size.
 *
 * How: `--max-semi-space-size` is read only when the heap is set up, so
 * setting it here would do nothing (and a re-exec would double start-up).
 * The growth factor is read each time V8 grows the young generation; 1 means
 * it never grows. An operator can still choose otherwise on node's command
 * line (`node --semi-space-growth-factor=2 …`): a factor given there is kept.
 */
import { setFlagsFromString } from 'node:v8';

/** 1: the young generation stays at its starting size (see above). */
export const SEMI_SPACE_GROWTH_FACTOR = 1;

/** Whether node's command line already sets the growth factor (V8 takes `-` and `_` alike). */
export function growthFactorChosen(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => /^--semi[-_]space[-_]growth[-_]factor(=|$)/.test(arg));
}

export function keepYoungGenerationSmall(execArgv: readonly string[] = process.execArgv): void {
  if (growthFactorChosen(execArgv)) return;
  setFlagsFromString(`--semi-space-growth-factor=${SEMI_SPACE_GROWTH_FACTOR}`);
}
