/**
 * Who drives a run, journaled at its start and at each resume: a login many share (ubuntu@opsman)
 * does not say who confirmed what. --operator NAME, else the user sudo was run by, else the login.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { processOperator } from '../core/runtime.js';

export function operatorOption<T>(y: Argv<T>) {
  return y.option('operator', {
    type: 'string',
    describe: 'who drives this run (journaled, shown by `show` and in the incident report), when the login is shared',
    defaultDescription: '$SUDO_USER, else the login name',
  });
}

/** The operator's name: given (one line of at most 100 characters), else SUDO_USER, else the login name. */
export function operatorOf(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given === undefined) return env.SUDO_USER || processOperator(env).user;
  const name = given.trim();
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new UsageError(`--operator ${JSON.stringify(given)} is not a name`, {
      hint: 'give your name or your own user name, on one line, e.g. --operator alice',
    });
  return name;
}
