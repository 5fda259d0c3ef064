/**
 * The exit code a command ends with: set by its handler (every command, the one way), taken by
 * `main` once parsing is over; a failure thrown out of a handler gives its own (exitCodeOf).
 */
import { EXIT } from '../core/errors.js';

let pending: number = EXIT.done;

export function setExitCode(code: number): void {
  pending = code;
}

/** The code set since the last take (0 when none), and starts afresh. */
export function takeExitCode(): number {
  const code = pending;
  pending = EXIT.done;
  return code;
}
