/**
 * The exit code a runbook command ends with (recover, rehearse, resume, abandon): set by its
 * handler, taken by `main` once parsing is over. Domain commands use process.exitCode instead.
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
