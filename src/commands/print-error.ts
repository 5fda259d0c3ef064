/**
 * Prints a failure for an operator, in the one style of every error: `dingo-recover[ command]:
 * message`, then `what to do: hint` when there is one; redacted.
 */
import { DingoError, exitCodeOf, messageOf } from '../core/errors.js';
import { secrets, invocation } from '../core/invocation.js';
import { setExitCode } from './exit-code.js';
import { printable } from '../core/display.js';

export function printError(command: string, err: unknown, write: (text: string) => void = (t) => invocation().stderr.write(t)): void {
  const message = messageOf(err);
  const hint = err instanceof DingoError ? err.hint : undefined;
  const who = command ? `dingo-recover ${command}` : 'dingo-recover';
  // The message may carry a server's text, a tenant's name or an S3 key: shown, never acted on by the terminal.
  write(printable(secrets().redact(`${who}: ${message}\n${hint ? `what to do: ${hint}\n` : ''}`)));
}

/** A command's failure, printed for the operator, and the exit code it calls for. */
export function failCommand(command: string, err: unknown): void {
  printError(command, err);
  setExitCode(exitCodeOf(err));
}
