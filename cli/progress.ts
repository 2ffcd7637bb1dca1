/**
 * Progress for hashing and downloads: a bar redrawn in place on a terminal,
 * plain lines (one per 10%) when the output is a file or a pipe, nothing in
 * --json mode. Hand-written because it is this small: no progress package is
 * installed here, and a bar is one line of text redrawn with \r.
 */
import { formatBytes, formatPercent, formatSpeed } from '../client/commands/format.ts';

const WIDTH = 20;
/** Redraws at most this often on a terminal: smooth to the eye, cheap on CPU. */
const REDRAW_MS = 100;

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #out: ProgressOutput | undefined;
  readonly #label: string;
  readonly #total: number;
  readonly #started = Date.now();
  #lastDraw = 0;
  #lastTenth = -1;
  #done = false;

  /** `out` undefined: silent. `total` in bytes. */
  constructor(out: ProgressOutput | undefined, label: string, total: number) {
    this.#out = out;
    this.#label = label;
    this.#total = Math.max(1, total);
  }

  update(bytes: number, extra = ''): void {
    if (!this.#out || this.#done) return;
    const fraction = Math.min(1, bytes / this.#total);
    if (this.#out.isTTY) {
      const now = Date.now();
      if (now - this.#lastDraw < REDRAW_MS && fraction < 1) return;
      this.#lastDraw = now;
      const filled = Math.round(fraction * WIDTH);
      const speed = bytes / Math.max(0.001, (now - this.#started) / 1000);
      const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
      this.#out.write(`\r\x1b[2K${this.#label}  ${bar} ${formatPercent(fraction).padStart(6)}  ${formatBytes(this.#total)}  ${formatSpeed(speed)}${extra ? '  ' + extra : ''}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === this.#lastTenth) return;
      this.#lastTenth = tenth;
      this.#out.write(`${this.#label} ${formatPercent(fraction)}${extra ? ' ' + extra : ''}\n`);
    }
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#out?.isTTY) this.#out.write('\n');
  }
}
