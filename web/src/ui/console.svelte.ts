/**
 * The console's transcript and input history. Kept apart from the component
 * so the panel can close and reopen without losing either.
 */
export interface ConsoleLine {
  id: number;
  kind: 'input' | 'output' | 'error';
  text: string;
}

/** Enough scrollback for a session; older lines go so a long session stays light. */
const MAX_LINES = 500;
const MAX_HISTORY = 100;

export class ConsoleState {
  #lines = $state<ConsoleLine[]>([]);
  #history: string[] = [];
  #cursor = 0;
  #nextId = 1;

  get lines(): readonly ConsoleLine[] {
    return this.#lines;
  }

  print(kind: ConsoleLine['kind'], texts: string[]): void {
    const added = texts.map((text) => ({ id: this.#nextId++, kind, text }));
    this.#lines = [...this.#lines, ...added].slice(-MAX_LINES);
  }

  /** Remember a typed line (already masked) for ↑/↓. */
  remember(line: string): void {
    if (line && this.#history.at(-1) !== line) this.#history.push(line);
    if (this.#history.length > MAX_HISTORY) this.#history.shift();
    this.#cursor = this.#history.length;
  }

  /** ↑: the previous line typed, or undefined at the start. */
  previous(): string | undefined {
    if (this.#cursor === 0) return this.#history.length ? this.#history[0] : undefined;
    return this.#history[--this.#cursor];
  }

  /** ↓: the next line typed, or '' past the newest. */
  next(): string {
    if (this.#cursor >= this.#history.length - 1) {
      this.#cursor = this.#history.length;
      return '';
    }
    return this.#history[++this.#cursor]!;
  }

  clear(): void {
    this.#lines = [];
  }

  reset(): void {
    this.#lines = [];
    this.#history = [];
    this.#cursor = 0;
  }
}
