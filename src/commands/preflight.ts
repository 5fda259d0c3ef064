/**
 * The checks `doctor` makes, made before a live run (recover, recover-space, resume) asks anything
 * or makes its run folder: a failing one stops it there (exit 2), printed with what fixes it, so no
 * run exists for a start that could not have gone far. A rehearsal's platform is simulated: none.
 */
import { UsageError } from '../core/errors.js';
import { commandLine } from '../core/command-line.js';
import { checkLines } from './doctor-check.js';
import { checkPlatform } from './doctor-platform.js';
import type { RunChoice } from './drive-run.js';
import type { GlobalArgs } from './global-options.js';

export async function preflight(argv: GlobalArgs, choice: RunChoice): Promise<void> {
  const { planRun } = await import('../engine/run/index.js');
  const plan = planRun({ stateDir: argv['state-dir'], ...choice });
  if (plan.mode !== 'live' || plan.done) return;
  const say = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const answersFile = argv.answers ?? plan.startedWithAnswers;
  const results = await checkPlatform({ settings: plan.settings, live: plan.live, answersFile }, say);
  const failing = results.filter((r) => !r.ok);
  if (failing.length === 0) {
    if (argv.verbose) for (const l of checkLines(results)) say(l);
    return;
  }
  for (const l of checkLines(results)) say(l);
  throw new UsageError(`the checks before the run failed (${failing.map((r) => r.name).join(', ')}): nothing was asked or started`, {
    hint: `fix what each FAILED line says, then run it again; \`${commandLine(['doctor'])}\` makes the same checks alone`,
  });
}
