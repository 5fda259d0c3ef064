/** Starting or resuming a run from the command line: the engine, the platforms, every action. */
import { printableJson } from '../../core/display.js';
import { secrets, invocation } from '../../core/invocation.js';
import { processRuntime } from '../../core/runtime.js';
import type { DriveOptions } from '../../engine/run/index.js';
import type { Scenario } from '../../rehearsal/scenario.js';
import { actionRegistry } from '../action-registry.js';
import { packageVersion } from '../package-files.js';
import { setExitCode } from '../exit-code.js';
import type { GlobalArgs } from '../flags/global.js';
import { operatorOf } from './operator-flag.js';
import type { NotifyFormat } from './notify-formats.js';
import { notifierFor } from './notifier.js';

/** What differs between recover, rehearse and resume: a new run or an existing one, and its settings. */
export type RunChoice = Pick<
  DriveOptions<Scenario>,
  'start' | 'scenario' | 'resumeId' | 'override' | 'stealLock' | 'record' | 'corrections'
>;

export async function driveRun(
  argv: GlobalArgs & { plan?: boolean; operator?: string; notify?: string; 'notify-format'?: NotifyFormat },
  choice: RunChoice,
): Promise<void> {
  const operator = operatorOf(argv.operator);
  const notifier = await notifierFor(argv.notify, argv['notify-format']);
  const { drive } = await import('../../engine/run/driver.js');
  const { platforms } = await import('./platforms.js');
  const r = await drive({
    platforms,
    stateDir: argv['state-dir'],
    // With --json, stdout holds the summary alone: the screen goes to stderr.
    out: argv.json ? invocation().stderr : invocation().stdout,
    ...choice,
    answersFile: argv.answers,
    yes: argv.yes,
    verbose: argv.verbose,
    plan: argv.plan,
    operator,
    notifier,
    actions: await actionRegistry(),
    tool: `dingo-recover ${packageVersion()}`,
    runtime: processRuntime(secrets().copy()),
  });
  setExitCode(r.exitCode);
  if (argv.json) {
    const { runSummary } = await import('./summary.js');
    invocation().stdout.write(printableJson(runSummary(argv['state-dir'], r), 2) + '\n');
  }
}
