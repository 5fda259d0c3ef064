/** `dingo-recover rehearse`: the whole recovery against a simulated platform. */
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { scenarioDir } from './bundled-scenarios.js';
import type { GlobalArgs } from './flags/global.js';
import { DEFAULT_RUNBOOK, DEFAULT_SCENARIO, packageRoot, runbookPath } from './package-files.js';
import { runCommand } from './run/command.js';
import { settingsFrom } from './run/settings.js';
import { atTarget, targetOptions } from './run/target-flags.js';
import { loadScenario } from '../rehearsal/scenario.js';

function rehearseOptions(y: Argv<GlobalArgs>) {
  return targetOptions(y)
    .option('scenario', {
      type: 'string',
      describe:
        'scenario folder, or the name of a bundled scenario: seed-003 (the default), later-broker, space-scenario, same-name-tenant, partial-wal, bad-write',
    })
    .option('runbook', {
      type: 'string',
      describe: `runbook file or bundled runbook name (default: the scenario's runbook, else ${DEFAULT_RUNBOOK})`,
    })
    .option('deleted-instance', {
      type: 'string',
      describe: 'GUID of the deleted instance to restore, when the evidence does not settle it',
    })
    .option('container-store-root', { type: 'string', describe: "host folder of the simulated cells' container volumes" })
    .option('wal-bucket', { type: 'string', describe: "the platform's WAL bucket: an archive in any other bucket is refused" })
    .option('logs', { type: 'string', array: true, describe: "more syslog files or folders to search besides the scenario's" });
}

export const rehearseCommand = runCommand({
  command: 'rehearse',
  describe: 'Rehearse the whole recovery against a simulated platform (fixtures)',
  options: rehearseOptions,
  // A rehearsal reaches no platform: the settings of one would mix the live platform's logs and bucket into it.
  settings: {},
  examples: [
    ['$0 rehearse --yes', 'rehearse the bundled incident without stopping at confirmations'],
    ['$0 rehearse --scenario space-scenario --yes', 'rehearse the bundled deleted-space incident'],
    [
      '$0 rehearse --scenario later-broker --yes',
      'rehearse a deleted service on a later Dingo release (its broker makes two nodes unless asked for one)',
    ],
    ['$0 rehearse --scenario my-scenario/', 'rehearse against your own scenario (with the runbook its scenario.yaml names)'],
    [
      '$0 rehearse --target-time 2016-03-17T05:00:00Z --yes',
      'rehearse the recovery of the bundled incident as it was at a moment (recover-to-target: restored, dumped and loaded into a new service of its name)',
    ],
  ],
  choice: (argv) => {
    // A missing or bad scenario is reported before a bad runbook: the runbook may be the one it names.
    const scenario = loadScenario(argv.scenario ? scenarioDir(argv.scenario) : join(packageRoot(), DEFAULT_SCENARIO));
    const runbook = argv.runbook ?? scenario.runbook ?? DEFAULT_RUNBOOK;
    const target = atTarget(argv, runbook);
    const start = {
      mode: 'rehearsal' as const,
      runbookFile: runbookPath(target?.runbook ?? runbook),
      scenarioDir: scenario.dir,
      settings: settingsFrom(argv),
      ...(target ? { inputs: target.inputs, inputFlags: target.inputFlags } : {}),
    };
    return { start, scenario };
  },
});
