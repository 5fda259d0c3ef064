/**
 * Who drives a run, journaled at its start and at each resume: a login many share (ubuntu@opsman)
 * does not say who confirmed what. --operator NAME, else DINGO_RECOVER_OPERATOR, else `operator:` in
 * the settings file (config-file.ts fills those in), else the user sudo was run by, else the login.
 */
import type { Options } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { processOperator } from '../../core/operator-identity.js';
import { invocation } from '../../core/invocation.js';

/** --operator, which the settings file and DINGO_RECOVER_OPERATOR may give too. */
export const OPERATOR_FLAG = {
  operator: {
    type: 'string',
    describe: 'who drives this run (journaled, shown by `show` and in the incident report), when the login is shared',
    defaultDescription: '$DINGO_RECOVER_OPERATOR, else operator: in the settings file, else $SUDO_USER, else the login name',
  },
} as const satisfies Record<string, Options>;

/**
 * The operator's name: given (by the flag, the variable or the file: one line of at most 100
 * characters), else SUDO_USER, else the login name.
 */
export function operatorOf(given: string | undefined, env: NodeJS.ProcessEnv = invocation().env): string {
  if (given === undefined) return env.SUDO_USER || processOperator(env).user;
  const name = given.trim();
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new UsageError(`--operator ${JSON.stringify(given)} is not a name`, {
      hint: 'give your name or your own user name, on one line, e.g. --operator alice (or DINGO_RECOVER_OPERATOR=alice, or operator: alice in the settings file)',
    });
  return name;
}
