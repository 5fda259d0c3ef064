/** The options every command takes: where runs are kept, how prompts are answered, what is printed. */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { defaultStateDir } from './state-dir.js';

/**
 * The default state folder where no --state-dir was given; a --state-dir given with no value is
 * refused (with a yargs `default`, it would silently be the default folder).
 */
function stateDirMiddleware(argv: { 'state-dir'?: string }): void {
  if (argv['state-dir'] === '') {
    throw new UsageError('--state-dir needs a folder', {
      hint: 'give --state-dir DIR, or leave it out for the default ($DINGO_RECOVER_STATE_DIR, else ~/.local/state/dingo-recover)',
    });
  }
  argv['state-dir'] ??= defaultStateDir();
}

export function globalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  const options = y
    .option('state-dir', {
      type: 'string',
      // No `default`: with one, yargs gives it for a --state-dir with no value. A middleware sets it.
      defaultDescription: '$DINGO_RECOVER_STATE_DIR, else $XDG_STATE_HOME/dingo-recover (~/.local/state/dingo-recover)',
      describe: 'where runs (journals, locks) are kept',
      global: true,
    })

    .option('yes', { type: 'boolean', default: false, describe: 'accept every confirmation (destructive steps included)', global: true })
    .option('answers', {
      type: 'string',
      describe: 'YAML/JSON file answering every prompt: {inputs, confirm, choose, secrets}',
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'print data as JSON where a command prints data', global: true })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: 'show every command, its output, API calls, evidence and notes as a run goes (the journal and `show` always keep them)',
      global: true,
    });
  // The middleware runs before any handler, so every handler sees a state folder.
  return options.middleware(stateDirMiddleware, true) as unknown as Argv<T & GlobalArgs>;
}

/** What the global options give every handler. */
export interface GlobalArgs {
  'state-dir': string;
  yes: boolean;
  answers?: string;
  json: boolean;
  verbose: boolean;
}
