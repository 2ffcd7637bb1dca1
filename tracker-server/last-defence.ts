/**
 * The process's last line of defence (issue 8, item 1): an exception no
 * handler caught, or a rejected promise no one awaited, is logged and the
 * tracker stays up.
 *
 * Why staying up is safe here, against Node's general advice: every frame a
 * tracker reads is handled inside a guard (gateway, links, NATS callbacks),
 * so what reaches this point is a bug in the handling of one message or
 * timer, after which that message is lost but the rest holds: state changes
 * only by applying ops that are on disk first, and a restart would rebuild
 * the same state from the log anyway, while dropping every client. What is
 * not safe is a tracker that keeps failing: past CRASH_BUDGET uncaught
 * exceptions within CRASH_WINDOW_MS it exits (code 70, EX_SOFTWARE) so a
 * supervisor restarts it from its log.
 */

/** Uncaught exceptions tolerated within CRASH_WINDOW_MS before the process gives up. */
export const CRASH_BUDGET = 10;
export const CRASH_WINDOW_MS = 60_000;
export const CRASH_EXIT_CODE = 70;

export interface DefenceDeps {
  log: (message: string, err: unknown) => void;
  exit: (code: number) => void;
  now: () => number;
}

/** The decision, apart from the process: returns the handler for both events. */
export function lastDefence(deps: DefenceDeps): (kind: 'uncaughtException' | 'unhandledRejection', err: unknown) => void {
  const recent: number[] = [];
  return (kind, err) => {
    deps.log(`tracker: ${kind} (the tracker stays up):`, err);
    if (kind !== 'uncaughtException') return;
    const t = deps.now();
    recent.push(t);
    while (recent.length && t - recent[0]! > CRASH_WINDOW_MS) recent.shift();
    if (recent.length > CRASH_BUDGET) {
      deps.log(`tracker: ${recent.length} uncaught exceptions within ${CRASH_WINDOW_MS} ms; exiting so a supervisor restarts it`, err);
      deps.exit(CRASH_EXIT_CODE);
    }
  };
}

/** Installs the handlers on this process. */
export function installLastDefence(): void {
  const handle = lastDefence({ log: (m, e) => console.error(m, e), exit: (c) => process.exit(c), now: Date.now });
  process.on('uncaughtException', (err) => handle('uncaughtException', err));
  process.on('unhandledRejection', (err) => handle('unhandledRejection', err));
}
