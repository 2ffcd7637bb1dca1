/**
 * What `meshdrop`'s exit status means, for scripts (README "Command line"
 * lists them). Numbers stay below 64 and clear of 126+ (the shell's own:
 * not executable, not found, killed by a signal).
 */
export const Exit = {
  /** Done. */
  Ok: 0,
  /** The tracker refused (a group you are not in, a name taken, a file no longer shared...), or a transfer failed. */
  Refused: 1,
  /** The command line itself is wrong: unknown command or flag, missing or extra arguments. */
  Usage: 2,
  /** Not signed in, wrong user name or password, or the saved session has ended. */
  Auth: 3,
  /** A local file problem: a path that does not exist or cannot be read, a destination that cannot be written. */
  Local: 4,
  /** No tracker could be reached, or it did not answer in time. */
  Network: 5,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];
