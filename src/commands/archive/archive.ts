/** `dingo-recover archive inspect|swap|mistakes`: the archive steps of the runbook, on their own, and the search for a bad transaction. */
import type { Argv } from 'yargs';
import { EXAMPLE_ARCHIVES } from './examples.js';
import { inspectCommand } from './inspect.js';
import { mistakesCommand } from './mistakes.js';
import { swapCommand } from './swap.js';
import type { GlobalArgs } from '../flags/global.js';

export const archiveCommand = {
  command: 'archive <command>',
  describe: 'wal-e archive tools: inspect, swap, mistakes',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(inspectCommand)
      .command(swapCommand)
      .command(mistakesCommand)
      .demandCommand(1)
      .example(`$0 archive inspect ${EXAMPLE_ARCHIVES.old}`, 'is the deleted instance restorable?'),
  handler: () => undefined,
};
