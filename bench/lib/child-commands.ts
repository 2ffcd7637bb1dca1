/**
 * A benchmark's load-generating child process (forked with an IPC channel)
 * answers its parent's commands: each message `{ seq, command }` gets back
 * `{ seq, result }` or `{ seq, error }`, and the child exits when the parent
 * goes. Shared by bench/lib/loadgen.ts and bench/lib/tracker-peers.ts.
 */
export function answerParentCommands<C>(run: (command: C) => Promise<unknown>): void {
  if (!process.send) return;
  process.on('message', (msg: { seq: number; command: C }) => {
    run(msg.command).then(
      (result) => process.send!({ seq: msg.seq, result }),
      (err: Error) => process.send!({ seq: msg.seq, error: err.stack ?? String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
