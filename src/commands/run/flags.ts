/** The flags of the runbook commands: which runbook, and how to reach the platform. */
import type { Argv, InferredOptionTypes } from 'yargs';
import { DEFAULT_RUNBOOK } from '../package-files.js';
import { CONNECTION_FLAGS } from '../flags/connection.js';

function runbookOption<T>(y: Argv<T>, runbook = DEFAULT_RUNBOOK) {
  return y.option('runbook', { type: 'string', default: runbook, describe: 'runbook file or bundled runbook name' });
}

/** `recover` and `recover-space`: a runbook (each its own by default), and the platform to run it on. */
export function liveOptions<T>(y: Argv<T>, runbook = DEFAULT_RUNBOOK) {
  return connectionOptions(runbookOption(y, runbook));
}

/** The flags `recover`, `rehearse` and `resume` may give; each is optional. */
export type RunFlags = Partial<InferredOptionTypes<typeof CONNECTION_FLAGS>>;

export function connectionOptions<T>(y: Argv<T>) {
  return y.options(CONNECTION_FLAGS);
}

/** `resume` and `abandon` may take over a run another driver holds. */
export function stealLockOption<T>(y: Argv<T>) {
  return y.option('steal-lock', {
    type: 'boolean',
    default: false,
    describe: 'take over a run locked by another driver (the take-over is journaled)',
  });
}
