/**
 * The exit code a command ends with: set by its handler (every command, the one way), taken by
 * `main` once parsing is over; a failure thrown out of a handler gives its own (exitCodeOf).
 */
import { EXIT } from '../core/errors.js';
import { invocation } from '../core/invocation.js';

export function setExitCode(code: number): void {
  invocation().exitCode = code;
}

/** The code set since the last take (0 when none), and starts afresh. */
export function takeExitCode(): number {
  const own = invocation();
  const code = own.exitCode;
  own.exitCode = EXIT.done;
  return code;
}
