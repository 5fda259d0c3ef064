/** `dingo-recover rehearse`: the whole recovery against a simulated platform. */
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { driveRun } from './drive-run.js';
import type { GlobalArgs } from './global-options.js';
import { DEFAULT_SCENARIO, packageRoot, runbookPath } from './package-files.js';
import { runbookOption } from './run-flags.js';
import { settingsFrom } from './run-settings.js';

function rehearseOptions(y: Argv<GlobalArgs>) {
  return runbookOption(
    y
      .option('scenario', { type: 'string', describe: 'scenario folder (default: the bundled seed-003 incident)' })
      .option('deleted-instance', {
        type: 'string',
        describe: 'GUID of the deleted instance to restore, when the evidence does not settle it',
      })
      .option('container-store-root', { type: 'string', describe: "host folder of the simulated cells' container volumes" })
      .option('logs', { type: 'string', array: true, describe: "more syslog files or folders to search besides the scenario's" }),
  );
}

export const rehearseCommand = {
  command: 'rehearse',
  describe: 'Rehearse the whole recovery against a simulated platform (fixtures)',
  builder: (y: Argv<GlobalArgs>) =>
    rehearseOptions(y)
      .example('$0 rehearse --yes', 'rehearse the bundled incident without stopping at confirmations')
      .example('$0 rehearse --scenario my-scenario/', 'rehearse against your own scenario'),
  handler: async (argv: GlobalArgs & { scenario?: string; runbook: string; 'deleted-instance'?: string }) => {
    const scenario = argv.scenario ? argv.scenario : join(packageRoot(), DEFAULT_SCENARIO);
    await driveRun(argv, {
      start: { mode: 'rehearsal', runbookFile: runbookPath(argv.runbook), scenarioDir: scenario, settings: settingsFrom(argv) },
    });
  },
};
