/** The options every command takes: where runs are kept, how prompts are answered, what is printed. */
import type { Argv } from 'yargs';
import { defaultStateDir } from './state-dir.js';

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('state-dir', {
      type: 'string',
      default: defaultStateDir(),
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
}

/** What the global options give every handler. */
export interface GlobalArgs {
  'state-dir': string;
  yes: boolean;
  answers?: string;
  json: boolean;
  verbose: boolean;
}
