/** `dingo-recover recover-space`: every Dingo database of a deleted space, live. */
import type { Argv } from 'yargs';
import { driveRun } from './drive-run.js';
import type { GlobalArgs } from './global-options.js';
import { runbookPath } from './package-files.js';
import { liveOptions } from './run-flags.js';
import { liveFrom, settingsFrom, type RunFlags } from './run-settings.js';

export const SPACE_RUNBOOK = 'recover-space';

export const recoverSpaceCommand = {
  command: 'recover-space',
  describe: 'Recover every Dingo database of a deleted space, live (one confirmed plan, then each instance)',
  builder: (y: Argv<GlobalArgs>) =>
    liveOptions(y, SPACE_RUNBOOK)
      .example(
        '$0 recover-space --logs /var/log/remote --clusterdata s3://dingo-clusterdata --gateway ubuntu@opsman',
        'asks for the org and the deleted space, shows every instance it held, then recovers those confirmed',
      )
      .example(
        '$0 recover-space --answers answers.yaml --logs /var/log/remote',
        'inputs org, space, recreateSpace, leaveOut (and spaceGuid when the deletion event is gone) from a file',
      ),
  handler: async (argv: GlobalArgs & RunFlags & { runbook: string }) => {
    await driveRun(argv, {
      start: { mode: 'live', runbookFile: runbookPath(argv.runbook), settings: settingsFrom(argv), live: liveFrom(argv) },
    });
  },
};
