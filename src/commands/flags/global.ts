/** The options every command takes: where runs are kept, how prompts are answered, what is printed. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { useStateDir } from '../../core/command-line.js';
import { UsageError } from '../../core/errors.js';
import { defaultStateDir } from './state-dir.js';
import { invocation } from '../../core/invocation.js';

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
  // Every command the tool prints for pasting back names the state folder when it is not the default.
  const dir = resolve(argv['state-dir']);
  useStateDir(dir === defaultStateDir() ? undefined : dir);
}

/** --color and --no-color, as NO_COLOR and FORCE_COLOR say it to everything that paints (the screen, prompts). */
function colorMiddleware(argv: { color?: boolean }): void {
  if (argv.color === false) {
    invocation().env.NO_COLOR = '1';
    delete invocation().env.FORCE_COLOR;
  } else if (argv.color === true) invocation().env.FORCE_COLOR = '1';
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
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print data as JSON where a command prints data; a run prints its summary at the end, its screen on stderr',
      global: true,
    })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: 'show every command, its output, API calls, evidence and notes as a run goes (the journal and `show` always keep them)',
      global: true,
    })
    .option('color', {
      type: 'boolean',
      describe: 'colour the screen; --no-color never does',
      defaultDescription: 'on a terminal, unless NO_COLOR is set (FORCE_COLOR forces it)',
      global: true,
    });
  // The middlewares run before any handler, so every handler sees a state folder and the colour asked.
  return options.middleware(stateDirMiddleware, true).middleware(colorMiddleware, true) as unknown as Argv<T & GlobalArgs>;
}

/** What the global options give every handler. */
export interface GlobalArgs {
  'state-dir': string;
  yes: boolean;
  answers?: string;
  json: boolean;
  verbose: boolean;
}
