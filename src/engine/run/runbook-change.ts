/**
 * Whether a run may resume under a runbook whose text changed since it started (a newer
 * dingo-recover, a step reworded, a runbook split into used parts): it may when the steps the run
 * has reached are, in the runbook as it is now, the same steps (ids, and actions where the journal
 * recorded them) in the same order with nothing added before the last of them — what the run did
 * then means the same now, and what it has not reached yet runs as the runbook now says. For a
 * for-each step, the same holds of each item's steps in its sub-runbook.
 */
import type { ActionRegistry, StepDef } from '../runbook/runbook-model.js';
import type { StepState } from '../journal/replay.js';

/** A step as `run.created` records it. */
export interface RecordedStep {
  id: string;
  action: string;
}

/**
 * Recorded steps with each action under its name today: an action renamed since the run started
 * (its `formerly`) is the same action.
 */
export function underCurrentNames(recorded: readonly RecordedStep[] | undefined, actions: ActionRegistry): RecordedStep[] | undefined {
  const now = new Map([...actions.values()].flatMap((a) => (a.formerly ?? []).map((old) => [old, a.name] as const)));
  return recorded?.map((s) => (actions.has(s.action) ? s : { ...s, action: now.get(s.action) ?? s.action }));
}

/** The steps of a runbook as `run.created` records them (a for-each step has no action). */
export function recordedSteps(steps: readonly StepDef[]): RecordedStep[] {
  return steps.map((s) => ({ id: s.id, action: s.action }));
}

/**
 * Why the run cannot go on under `steps`, or null when it can. `reached` holds the journal's step
 * states in the order the run first reached them (ids of for-each items' steps are
 * `FOREACH/KEY/STEP`); `recorded`, the steps as the run started with them, when its journal says.
 */
export function runbookChangeProblem(
  steps: readonly StepDef[],
  reached: ReadonlyMap<string, StepState>,
  recorded?: readonly RecordedStep[],
  prefix = '',
): string | null {
  const ids = [...reached.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'));
  const order = ids.map((k) => k.slice(prefix.length));
  if (!order.length) return null;
  const last = order.at(-1)!;
  const at = steps.findIndex((s) => s.id === last);
  if (at < 0) return `step "${prefix}${last}", which the run has reached, is no longer in the runbook`;
  const now = steps.slice(0, at + 1);
  // Both lists end with the last step reached: they are the same when they agree step by step.
  for (const [i, step] of now.entries()) {
    const id = order[i]!;
    if (id !== step.id) {
      return steps.some((s) => s.id === id)
        ? `step "${prefix}${step.id}" now comes before step "${prefix}${id}", which the run reached first`
        : `step "${prefix}${id}", which the run has reached, is no longer in the runbook`;
    }
    const before = recorded?.find((r) => r.id === id);
    if (before && before.action !== step.action)
      return `step "${prefix}${id}" now runs ${step.action || 'a for-each'}, where the run started with ${before.action || 'a for-each'}`;
  }
  for (const step of now) {
    if (!step.forEach) continue;
    const keys = new Set(
      [...reached.keys()]
        .filter((k) => k.startsWith(`${prefix}${step.id}/`))
        .map((k) => k.slice(`${prefix}${step.id}/`.length).split('/')[0]!),
    );
    for (const key of keys) {
      const problem = runbookChangeProblem(step.forEach.runbook.steps, reached, undefined, `${prefix}${step.id}/${key}/`);
      if (problem) return problem;
    }
  }
  return null;
}
