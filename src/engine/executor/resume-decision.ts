/**
 * What a resumed run does with each step, decided in one place from three things only: what the
 * journal says of the step, what its probe says the platform shows, and whether the evidence it was
 * confirmed on still holds. Pure: no journal, no platform, no screen; the executor asks and acts.
 *
 *   journal says        action                          decision
 *   ------------------  ------------------------------  -------------------------------------------
 *   finished            (any)                           reuse its journaled outputs (reassert first
 *                                                       when its effect lives in ambient state)
 *   finished, stale     read                            run again (an older version journaled it
 *                                                       without an output a later step now reads)
 *   skipped             (any)                           stay skipped
 *   pending             (any)                           run
 *   started / failed    read without a probe            run again, parameters as they resolve now
 *   started / failed    any other                       probe, then:
 *                         probe: done                   finish with the outputs the probe found
 *                         probe: not done               run again with the journaled params and plan
 *                         probe: unknown                stop: the operator checks by hand
 *                         no probe, safe to repeat      run again with the journaled params and plan
 *                         no probe, not safe            stop: the operator checks by hand
 *   confirmed before    evidence re-checked             unchanged: go on; changed: stop, naming it
 */
import type { ActionDef, Effect } from '../runbook/action.js';
import type { StepState, StepStatus } from '../journal/replay.js';
import type { ActionRegistry, StepDef } from '../runbook/runbook-model.js';

/** What the journal says of a step before this attempt. */
export interface StepRecord {
  status: StepStatus;
  /** Finished, but journaled without an output a later step reads (a read step of an older version). */
  stale?: boolean;
}

/** What the step's action declares that bears on a resume; undefined for a step without an action (a for-each). */
export interface ResumeTraits {
  effect: Effect;
  probe: boolean;
  safeToRepeat: boolean;
  reassert: boolean;
}

/** The traits of `action` a resume decides on; undefined for a step without one (a for-each). */
export function resumeTraits(action: ActionDef | undefined): ResumeTraits | undefined {
  if (!action) return undefined;
  return {
    effect: action.effect,
    probe: action.probe !== undefined,
    safeToRepeat: action.safeToRepeat !== undefined,
    reassert: action.reassert !== undefined,
  };
}

/** Each runbook's steps as JSON, written once: a resume asks of every finished step, and a sweep resumes hundreds of times. */
const texts = new WeakMap<readonly StepDef[], string>();

function stepsText(steps: readonly StepDef[]): string {
  let text = texts.get(steps);
  if (text === undefined) texts.set(steps, (text = JSON.stringify(steps)));
  return text;
}

/**
 * Whether a step of `steps` finished without an output its action now gives and a later step of
 * `steps` refers to (journaled by an earlier version): a read step then runs again, reading changes nothing.
 */
function lacksOutputs(
  steps: readonly StepDef[],
  id: string,
  action: ActionDef | undefined,
  outputs: Record<string, unknown> | undefined,
): boolean {
  if (!action) return false;
  const text = stepsText(steps);
  return Object.keys(action.outputs).some((k) => !(k in (outputs ?? {})) && text.includes(`\${steps.${id}.outputs.${k}}`));
}

export type BeforeStep =
  | { do: 'reuse'; reassert: boolean }
  | { do: 'stay-skipped' }
  /** A first attempt, or a read step that simply runs again. */
  | { do: 'run' }
  /** An earlier attempt may have acted: find out what the platform shows before anything else. */
  | { do: 'probe' };

/** What is done with a step before it runs, from what the journal says of it. */
export function beforeStep(record: StepRecord, traits: ResumeTraits | undefined): BeforeStep {
  switch (record.status) {
    case 'finished':
      if (record.stale && traits?.effect === 'read') return { do: 'run' };
      return { do: 'reuse', reassert: traits?.reassert === true };
    case 'skipped':
      return { do: 'stay-skipped' };
    case 'pending':
      return { do: 'run' };
    case 'started':
    case 'failed':
      if (traits === undefined || (traits.effect === 'read' && !traits.probe)) return { do: 'run' };
      return { do: 'probe' };
  }
}

/** What a probe found; 'none' when the action has no probe. */
export type ProbeAnswer = 'done' | 'not-done' | 'unknown' | 'none';

export type AfterProbe =
  /** The effect happened: the step is finished with the outputs the probe found. */
  | { do: 'finish' }
  /** It did not (or repeating it is harmless): run again with the journaled parameters and plan. */
  | { do: 'run-again' }
  /** Nobody can tell: the run stops for the operator, who checks by hand. */
  | { do: 'stop' };

/**
 * What is done with the step `step` of `steps` (the runbook's own, or a for-each's sub-runbook's)
 * whose journal state is `prior`: the one decision the executor acts on, and that a for-each item
 * (settled when each of its steps is), --plan and --record read. Its `when` is not part of it: a
 * condition is resolved only when the step is reached.
 */
export function decideStep(
  steps: readonly StepDef[],
  step: StepDef,
  prior: Pick<StepState, 'status' | 'outputs'> | undefined,
  actions: ActionRegistry,
): BeforeStep {
  const action = step.forEach ? undefined : actions.get(step.action);
  const status = prior?.status ?? 'pending';
  const stale = status === 'finished' && lacksOutputs(steps, step.id, action, prior?.outputs);
  return beforeStep({ status, stale }, resumeTraits(action));
}

/** Whether a decision leaves the step as the journal has it: done (its outputs reused) or skipped. */
export function settled(decision: BeforeStep): boolean {
  return decision.do === 'reuse' || decision.do === 'stay-skipped';
}

/** What is done after asking the platform about an earlier attempt. */
export function afterProbe(answer: ProbeAnswer, traits: ResumeTraits): AfterProbe {
  switch (answer) {
    case 'done':
      return { do: 'finish' };
    case 'not-done':
      return { do: 'run-again' };
    case 'unknown':
      return { do: 'stop' };
    case 'none':
      return traits.safeToRepeat ? { do: 'run-again' } : { do: 'stop' };
  }
}

/** A step confirmed before an interruption goes on only when the evidence it was confirmed on still holds. */
export function afterRecheck(changed: readonly string[]): { do: 'go-on' } | { do: 'stop'; changed: readonly string[] } {
  return changed.length ? { do: 'stop', changed } : { do: 'go-on' };
}
