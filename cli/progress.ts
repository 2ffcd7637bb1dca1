/**
 * Progress for hashing and downloads: on a terminal a bar redrawn in place
 * by cli-progress (it owns the cursor work: redraw throttling, clearing the
 * line, the terminal's width); plain lines, one per 10%, when the output is a
 * file or a pipe, so logs stay readable; nothing in --json mode.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatPercent, formatSpeed } from '../client/commands/format.ts';

const WIDTH = 20;
/** Redraws per second on a terminal: smooth to the eye, cheap on CPU. */
const REDRAW_FPS = 10;

/** Where progress goes: process.stderr, or a test's sink (cli-progress needs only write and isTTY). */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #out: ProgressOutput | undefined;
  readonly #label: string;
  readonly #total: number;
  readonly #bar: cliProgress.SingleBar | undefined;
  #lastTenth = -1;
  #done = false;

  /** `out` undefined: silent. `total` in bytes. */
  constructor(out: ProgressOutput | undefined, label: string, total: number) {
    this.#out = out;
    this.#label = label;
    this.#total = Math.max(1, total);
    if (out?.isTTY) {
      this.#bar = new cliProgress.SingleBar({
        stream: out as unknown as NodeJS.WritableStream,
        fps: REDRAW_FPS,
        barsize: WIDTH,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: false,
        linewrap: false,
        // The seed handles SIGTERM itself: the bar must not add a listener of its own.
        gracefulExit: false,
        format: (options, params, payload: { extra?: string }) => {
          const seconds = Math.max(0.001, (Date.now() - params.startTime) / 1000);
          const bar = cliProgress.Format.BarFormat(params.progress, options);
          const extra = payload.extra ? `  ${payload.extra}` : '';
          return `${this.#label}  ${bar} ${formatPercent(params.progress).padStart(6)}  ${formatBytes(this.#total)}  ${formatSpeed(params.value / seconds)}${extra}`;
        },
      });
      this.#bar.start(this.#total, 0, { extra: '' });
    }
  }

  update(bytes: number, extra = ''): void {
    if (!this.#out || this.#done) return;
    const done = Math.min(this.#total, bytes);
    if (this.#bar) {
      this.#bar.update(done, { extra });
      return;
    }
    const fraction = done / this.#total;
    const tenth = Math.floor(fraction * 10);
    if (tenth === this.#lastTenth) return;
    this.#lastTenth = tenth;
    this.#out.write(`${this.#label} ${formatPercent(fraction)}${extra ? ' ' + extra : ''}\n`);
  }

  /** Draws the last state and ends the bar's line (and cli-progress's redraw timer). */
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#bar?.stop();
  }
}
