/** `dingo-recover recover`: the live recovery, asking, then confirming every destructive step. */
import type { Argv } from 'yargs';
import { driveRun } from './drive-run.js';
import type { GlobalArgs } from './global-options.js';
import { runbookPath } from './package-files.js';
import { liveOptions } from './run-flags.js';
import { liveFrom, settingsFrom, type RunFlags } from './run-settings.js';

export const recoverCommand = {
  command: 'recover',
  describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
  builder: (y: Argv<GlobalArgs>) =>
    liveOptions(y)
      .example('$0 recover --logs /var/log/remote --gateway ubuntu@opsman', 'live recovery, reaching the cells through the Ops Manager VM')
      .example('$0 recover --answers answers.yaml --logs /var/log/remote', "take the user's answers from a file"),
  handler: async (argv: GlobalArgs & RunFlags & { runbook: string }) => {
    await driveRun(argv, {
      start: { mode: 'live', runbookFile: runbookPath(argv.runbook), settings: settingsFrom(argv), live: liveFrom(argv) },
    });
  },
};
