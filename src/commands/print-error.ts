/** Prints a failure for an operator: the message, then what to do, redacted. */
import { DingoError, messageOf } from '../core/errors.js';
import { secrets } from '../core/redact.js';

export function printError(command: string, err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): void {
  const message = messageOf(err);
  const hint = err instanceof DingoError ? err.hint : undefined;
  write(secrets.redact(`dingo-recover ${command}: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`));
}
