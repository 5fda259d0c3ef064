/**
 * The checks `doctor` makes, made before a live run (recover, recover-space, resume) asks anything
 * or makes its run folder: a failing one stops it there (exit 2), printed with what fixes it, so no
 * run exists for a start that could not have gone far. A rehearsal's platform is simulated, and a
 * runbook that acts on this host alone (a Docker volume's recovery) reaches none: no checks.
 */
import { UsageError } from '../../core/errors.js';
import { commandLine } from '../../core/command-line.js';
import { checkLines } from './check.js';
import type { RunChoice } from '../run/drive.js';
import type { GlobalArgs } from '../flags/global.js';
import type { Runbook } from '../../engine/runbook/index.js';
import { invocation } from '../../core/invocation.js';

/** The actions a runbook's steps run, its for-each sub-runbooks' included. */
function actionsOf(runbook: Runbook): string[] {
  return runbook.steps.flatMap((s) => (s.forEach ? actionsOf(s.forEach.runbook) : [s.action]));
}

/** Whether the run reaches the platform (cf, bosh, the cells, S3, the logs) at all: an action not declared onThisHost may. */
async function reachesPlatform(runbookFile: string): Promise<boolean> {
  const { loadRunbook } = await import('../../engine/runbook/runbook.js');
  const { actionRegistry } = await import('../action-registry.js');
  const actions = await actionRegistry();
  const runbook = loadRunbook(runbookFile, actions);
  return actionsOf(runbook).some((name) => actions.get(name)?.onThisHost !== true);
}

export async function preflight(argv: GlobalArgs, choice: RunChoice): Promise<void> {
  const { planRun } = await import('../../engine/run/index.js');
  const plan = planRun({ stateDir: argv['state-dir'], ...choice }, new Date());
  if (plan.mode !== 'live' || plan.done || !(await reachesPlatform(plan.runbookFile))) return;
  const say = (line: string): void => {
    invocation().stderr.write(`${line}\n`);
  };
  const answersFile = argv.answers ?? plan.startedWithAnswers;
  // Loaded only here: the checks reach S3, SSH and Elasticsearch through clients a rehearsal never loads.
  const { checkPlatform } = await import('./platform.js');
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
