/** What a run produced, as its runbook declares it: the subject it is about and its declared outputs, read from its journal. */
import type { JournalEvent } from '../journal/journal-events.js';
import { replay, type StepState } from '../journal/replay.js';
import type { Runbook } from '../runbook/runbook-model.js';
import { declaredOutputs, outputSteps, runSubject, type RunSubject } from '../runbook/declared-outputs.js';

export interface RunProduced {
  /** The instance the run is about, once the step naming it finished. */
  subject: RunSubject | null;
  /** The runbook's declared outputs whose steps finished. */
  outputs: Record<string, unknown>;
}

/** The declared outputs a runbook's report shows (its `report:`, else all) as a run came to them, and the journal id of the step each is taken from. */
export interface Declared {
  /** Those whose step finished. */
  outputs: Record<string, unknown>;
  /** Every declared output's step, finished or not. */
  steps: Record<string, string>;
}

/** The outputs of the finished steps whose journal ids begin with `prefix`, by step id without it. */
function finishedOutputs(steps: ReadonlyMap<string, StepState>, prefix: string): Record<string, Record<string, unknown>> {
  const byStep: Record<string, Record<string, unknown>> = {};
  for (const [id, s] of steps) if (s.status === 'finished' && id.startsWith(prefix)) byStep[id.slice(prefix.length)] = s.outputs ?? {};
  return byStep;
}

/** What `runbook` produced in a run whose steps stand as `steps`. */
export function producedBy(runbook: Pick<Runbook, 'subject' | 'outputs'>, steps: ReadonlyMap<string, StepState>): RunProduced {
  const byStep = finishedOutputs(steps, '');
  return { subject: runSubject(runbook, byStep) ?? null, outputs: declaredOutputs(runbook, byStep) };
}

export function runProduced(runbook: Pick<Runbook, 'subject' | 'outputs'>, events: readonly JournalEvent[]): RunProduced {
  return producedBy(runbook, replay([...events]).steps);
}

/**
 * The declared outputs of `runbook` its report shows (its `report:`) in a run whose steps stand as
 * `steps`: the run's own, or with `prefix` (`FOR_EACH_ID/KEY/`) a for-each item's, its sub-runbook
 * being `runbook`.
 */
export function declaredBy(runbook: Pick<Runbook, 'outputs' | 'report'>, steps: ReadonlyMap<string, StepState>, prefix = ''): Declared {
  // A runbook without report: declares none of the outputs the report reads (runbook-report.ts): all of its own are shown.
  const report = runbook.report;
  const shown = { outputs: report ? runbook.outputs.filter((o) => report.some((name) => name === o.name)) : runbook.outputs };
  return {
    outputs: declaredOutputs(shown, finishedOutputs(steps, prefix)),
    steps: Object.fromEntries(Object.entries(outputSteps(shown)).map(([name, step]) => [name, prefix + step])),
  };
}
