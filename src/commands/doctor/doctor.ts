/**
 * `dingo-recover doctor`: every check a live recovery needs to pass before it asks anything (the
 * cf and bosh CLIs and their logins, the way to the cells, S3, the logs, a terminal or --answers),
 * each printed ok, not checked (nothing it could try yet) or FAILED with what fixes it. `--rehearsal` checks a scenario's simulated platform.
 */
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { printableJson } from '../../core/display.js';
import { EXIT } from '../../core/errors.js';
import { DEFAULT_SETTINGS } from '../../engine/runbook/index.js';
import { scenarioDir } from '../bundled-scenarios.js';
import { configurable } from '../flags/config-file.js';
import { CONNECTION_FLAGS } from '../flags/connection.js';
import { checkLines } from './check.js';
import { checkPlatform } from './platform.js';
import { setExitCode } from '../exit-code.js';
import type { GlobalArgs } from '../flags/global.js';
import type { LoadedCommand } from '../lazy-command.js';
import { DEFAULT_SCENARIO, packageRoot } from '../package-files.js';
import { connectionOptions } from '../run/flags.js';
import { liveFrom, settingsFrom } from '../run/settings.js';
import { invocation } from '../../core/invocation.js';

function doctorOptions(y: Argv<GlobalArgs>) {
  return configurable(connectionOptions(y), CONNECTION_FLAGS)
    .option('rehearsal', { type: 'boolean', default: false, describe: "check a rehearsal scenario's simulated platform instead" })
    .option('scenario', { type: 'string', describe: 'with --rehearsal: scenario folder or bundled scenario name (default seed-003)' })
    .example(
      '$0 doctor --logs /var/log/remote --gateway ubuntu@opsman --wal-bucket our-postgresql-backups',
      'check everything a live recovery needs',
    )
    .example('$0 doctor --json', 'the same checks as JSON: [{name, ok, checked, detail, fix}]');
}

export const doctorCommand: LoadedCommand<GlobalArgs, ReturnType<typeof doctorOptions> extends Argv<infer U> ? U : never> = {
  command: 'doctor',
  describe: 'Check cf, bosh, the cells, S3, the logs and the operator before a recovery (each ok, or what fixes it)',
  builder: doctorOptions,
  handler: async (argv) => {
    const { loadScenario } = await import('../../rehearsal/scenario.js');
    const scenario = argv.rehearsal
      ? loadScenario(argv.scenario ? scenarioDir(argv.scenario) : join(packageRoot(), DEFAULT_SCENARIO))
      : undefined;
    const say = (line: string): void => {
      invocation().stderr.write(`${line}\n`);
    };
    const results = await checkPlatform(
      { settings: { ...DEFAULT_SETTINGS, ...settingsFrom(argv) }, live: liveFrom(argv), answersFile: argv.answers, scenario },
      say,
    );
    if (argv.json) invocation().stdout.write(printableJson(results, 2) + '\n');
    else invocation().stdout.write(checkLines(results).join('\n') + '\n');
    setExitCode(results.every((r) => r.ok) ? EXIT.done : EXIT.stepFailed);
  },
};
