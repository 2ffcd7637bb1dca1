/** The process around main(): real stdio, real exit status, nothing thrown reaches the user as a stack. */
import { main } from './main.ts';
import { Exit } from './exit-codes.ts';

export async function run(): Promise<void> {
  try {
    const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
    process.exitCode = code;
  } catch (err) {
    process.stderr.write(`meshdrop: something went wrong: ${(err as Error)?.message ?? err}\n`);
    process.exitCode = Exit.Refused;
  }
  // Sockets, WebRTC threads and timers of the core are closed by then; anything left must not keep a one-shot command alive.
  setTimeout(() => process.exit(), 200).unref();
}
