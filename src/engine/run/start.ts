/**
 * The start of a run or of a resume: its first event in the journal (a resume refused when its
 * runbook changed in a way its reached steps cannot follow) and the settings a resume changes; the
 * greeting that names the run and its journal is greeting.ts's.
 */
import { commandLine } from '../../core/command-line.js';
import { UsageError } from '../../core/errors.js';
import type { Journal } from '../journal/journal.js';
import type { Reporter } from '../operator/reporter.js';
import type { ActionRegistry, Runbook } from '../runbook/runbook.js';
import { recordedSteps, runbookChangeProblem, underCurrentNames } from './runbook-change.js';
import type { RunPlan } from './plan.js';

/** Journals the run's start, or its resume (refused when the runbook changed since) with the settings it changes. */
export function journalStart(
  plan: RunPlan,
  resuming: boolean,
  runbook: Runbook,
  journal: Journal,
  reporter: Reporter,
  o: { answersFile?: string; operator?: string; tool?: string; actions: ActionRegistry },
): void {
  if (!resuming) {
    journal.append({
      type: 'run.created',
      runId: plan.runId,
      runbook: { file: plan.runbookFile, name: runbook.name, sha256: runbook.sha256, steps: recordedSteps(runbook.steps) },
      mode: plan.mode,
      scenario: plan.scenarioDir,
      options: {
        settings: plan.settings,
        live: plan.live,
        stepCount: runbook.steps.length,
        answersFile: o.answersFile,
        ...(o.tool ? { tool: o.tool } : {}),
      },
      operator: o.operator,
    });
    return;
  }
  const { created, steps } = journal.state();
  const changed = created.runbook.sha256 !== runbook.sha256;
  const problem = changed ? runbookChangeProblem(runbook.steps, steps, underCurrentNames(created.runbook.steps, o.actions)) : null;
  if (problem) {
    throw new UsageError(`the runbook ${plan.runbookFile} changed since run ${plan.runId} started: ${problem}`, {
      hint: `resume with the dingo-recover and runbook the run started with${typeof created.options.tool === 'string' ? ` (${created.options.tool})` : ''}, or end it (${commandLine(['abandon', plan.runId, '--reason', 'the runbook changed'])}) and start a new run`,
    });
  }
  journal.append({ type: 'run.resumed', operator: o.operator, ...(o.tool ? { tool: o.tool } : {}) });
  if (changed) {
    journal.append({ type: 'runbook.changed', from: created.runbook.sha256, to: runbook.sha256 });
    reporter.line(
      'the runbook changed since the run started; the steps the run has reached are the same, in the same order: it goes on as the runbook now says',
    );
  }
  if (Object.keys(plan.changes).length) {
    journal.append({ type: 'settings.changed', changes: plan.changes });
    for (const [key, c] of Object.entries(plan.changes))
      reporter.line(`setting ${key} changed for this resume: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
  }
}
