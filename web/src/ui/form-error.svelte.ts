/**
 * One form's error line, in words that stay true. An action tried while the
 * tab has no tracker is refused at once, saying so and that it will work once
 * the tracker is back (waiting the 15 s request timeout told people nothing
 * and greyed the button); that error, and a timeout's, goes when the tracker
 * is back. Any error goes when the person changes the form's input.
 */
import type { ConnectionStatus } from '../../../client/tracker.ts';
import { describeError, errorCode } from '../../../client/commands/errors.ts';
import { ErrorCode } from '../../../protocol/errors.ts';
import { MAX_NAME_LENGTH } from '../../../protocol/constants.ts';

export class FormError {
  #text = $state('');
  /** True while the error is about the tracker being out of reach, not about what was typed. */
  #aboutConnection = false;

  get text(): string {
    return this.#text;
  }

  /**
   * Runs the form's action if the tab is connected; else says at once that it
   * will work once the tracker is back. Resolves true if the action ran and worked.
   */
  async run(status: ConnectionStatus, action: string, work: () => Promise<unknown>): Promise<boolean> {
    this.clear();
    // 'connecting' is the tab's first dial, a moment long: the request waits for it as before.
    if (status === 'reconnecting' || status === 'idle' || status === 'closed') {
      this.#text = offlineWords(action);
      this.#aboutConnection = true;
      return false;
    }
    try {
      await work();
      return true;
    } catch (err) {
      this.#text = describeError(err);
      const code = errorCode(err);
      this.#aboutConnection = code === ErrorCode.Timeout || code === ErrorCode.Unavailable;
      return false;
    }
  }

  /** The input changed: what was said about the old input no longer holds. */
  clear(): void {
    this.#text = '';
    this.#aboutConnection = false;
  }

  /** Feed it the connection's status: once connected, an error about reaching the tracker goes. */
  connection(status: ConnectionStatus): void {
    if (status === 'connected' && this.#aboutConnection) this.clear();
  }
}

export const offlineWords = (action: string): string => `Can't reach the tracker right now. ${action} will work once it is back.`;

/** A user or group name longer than the tracker takes, said as it is typed (the input never cuts it). */
export function nameTooLong(what: 'User' | 'Group', value: string): string | undefined {
  const length = value.trim().length;
  return length > MAX_NAME_LENGTH ? `${what} names are at most ${MAX_NAME_LENGTH} characters; this one has ${length}.` : undefined;
}
