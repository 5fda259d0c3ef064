/**
 * A command that drives a run (`recover`, `recover-space`, `rehearse`, `resume`): its flags and
 * examples, and the run it starts or resumes from what it was given.
 */
import type { ArgumentsCamelCase, Argv, Options } from 'yargs';
import { configurable } from '../flags/config-file.js';
import { CONNECTION_FLAGS, NOTIFY_FLAG } from '../flags/connection.js';
import { driveRun, type RunChoice } from './drive.js';
import type { GlobalArgs } from '../flags/global.js';
import type { LoadedCommand } from '../lazy-command.js';
import { runbookPath } from '../package-files.js';
import { OPERATOR_FLAG } from './operator-flag.js';
import { preflight } from '../doctor/preflight.js';
import { liveOptions, type RunFlags } from './flags.js';
import { recordOption, scenarioRecorder } from './record-flag.js';
import { liveFrom, settingsFrom } from './settings.js';

/** An example for `--help`: the command line, and what it does. */
export type Example = [command: string, description: string];

export interface RunCommandSpec<U> {
  command: string;
  describe: string;
  options: (y: Argv<GlobalArgs>) => Argv<U>;
  /** The flags among `options` the settings file and DINGO_RECOVER_<FLAG> variables may give. */
  settings: Record<string, Options>;
  examples: Example[];
  /** Which run to drive, and with what: any refusal is thrown before the run starts. */
  choice: (argv: ArgumentsCamelCase<U>) => RunChoice | Promise<RunChoice>;
}

/**
 * What every run command takes besides its own flags: who drives it, who to tell, and the settings
 * file and variables standing in for `settings`, --notify and --operator. yargs adds them to `y` itself.
 */
function runOptions<U>(y: Argv<U>, settings: Record<string, Options>): Argv<U> {
  const own = { ...OPERATOR_FLAG, ...NOTIFY_FLAG };
  configurable(y.options(own), { ...settings, ...own });
  return y;
}

export function runCommand<U extends GlobalArgs>(spec: RunCommandSpec<U>): LoadedCommand<GlobalArgs, U> {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (y) =>
      spec.examples.reduce(
        (built, [line, description]) => built.example(line, description),
        runOptions(spec.options(y), spec.settings)
          .option('plan', {
            type: 'boolean',
            default: false,
            describe:
              'a live look before acting: run every step that only reads, then list the steps that would change the platform and stop (nothing is changed; resume goes on)',
          })
          .option('skip-checks', {
            type: 'boolean',
            default: false,
            describe:
              "start a live run without doctor's checks of cf, bosh, the cells, S3 and the logs (for a check that is wrong about this platform): a problem then stops the run at the step that meets it",
          }),
      ),
    handler: async (argv) => {
      const choice = await spec.choice(argv);
      // A live start that cannot get far stops before any question and before its run folder exists.
      if (!(argv as { 'skip-checks'?: boolean })['skip-checks']) await preflight(argv, choice);
      await driveRun(argv, choice);
    },
  };
}

/** A live run of the runbook the flags name, on the platform they reach, recorded when --record asks. */
export async function liveChoice(
  argv: RunFlags & { runbook: string; record?: string },
): Promise<RunChoice & { start: NonNullable<RunChoice['start']> }> {
  const runbookFile = runbookPath(argv.runbook);
  return {
    start: { mode: 'live', runbookFile, settings: settingsFrom(argv), live: liveFrom(argv) },
    record: await scenarioRecorder(argv.record, runbookFile),
  };
}

/** A live recovery: its bundled runbook by default (`runbook` names another), run on the platform the flags reach. */
export function liveRunCommand({ runbook, ...named }: { command: string; describe: string; runbook?: string; examples: Example[] }) {
  return runCommand({
    ...named,
    options: (y) => recordOption(liveOptions(y, runbook)),
    settings: CONNECTION_FLAGS,
    choice: (argv) => liveChoice(argv),
  });
}
