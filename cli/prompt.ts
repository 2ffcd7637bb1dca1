/**
 * Asking for a password without echoing it. On a terminal: Node's readline
 * with its output muted while the answer is typed (the technique of the
 * `mute-stream` package, with no package: a Writable that drops what
 * readline echoes). In a script (stdin not a terminal): the first line of
 * stdin, so `printf 'pw\n' | meshdrop login alice` works and the password is
 * never in argv (where `ps` shows it).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Io } from './main.ts';

/** A Writable that forwards to `target` unless muted. */
export class MutableOutput extends Writable {
  muted = false;
  constructor(readonly target: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
    super();
  }
  get isTTY(): boolean | undefined {
    return this.target.isTTY;
  }
  get columns(): number | undefined {
    return this.target.columns;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (!this.muted) this.target.write(chunk);
    done();
  }
}

/** Asks for the next line with the readline's echo muted; `next` yields the interface's next line. */
export async function askSecret(output: MutableOutput, prompt: string, next: () => Promise<string | undefined>): Promise<string> {
  output.target.write(prompt);
  output.muted = true;
  try {
    return (await next()) ?? '';
  } finally {
    output.muted = false;
    output.target.write('\n');
  }
}

export async function readSecret(prompt: string, io: Io): Promise<string | undefined> {
  if (io.stdin.isTTY) {
    const output = new MutableOutput(io.stderr);
    const rl = createInterface({ input: io.stdin, output, terminal: true });
    const line = new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(undefined));
    });
    try {
      return await askSecret(output, prompt, () => line);
    } finally {
      rl.close();
    }
  }
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return undefined;
  } finally {
    rl.close();
  }
}
