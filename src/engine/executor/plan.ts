/**
 * `--plan`: a live look before acting. The run goes through every step that only reads (targeting,
 * finding, inspecting, drilling, checking apps and the name) and stops before the first step that
 * would change the platform, listing it and every step after it with what each changes. Nothing is
 * changed; a resume (without --plan) goes on from there.
 */
import type { Run, Sequence } from './options.js';
import type { StepDef } from '../runbook/runbook-model.js';
import { refInWords } from '../operator/screen-text.js';
import { resolveValue } from '../runbook/template.js';
import { DingoError, EXIT } from '../../core/errors.js';
import { decideStep, settled } from './resume-decision.js';

/** The run stopped where --plan stops it: not a failure, and resumable. */
class Planned extends DingoError {
  override readonly exitCode = EXIT.done;
}

/** What running the step does to the platform, in words; undefined for a step that only reads. */
export function change(run: Pick<Run, 'opts'>, step: StepDef): string | undefined {
  if (step.forEach) return 'runs its steps for each item, changing the platform';
  const effect = run.opts.actions.get(step.action)?.effect;
  if (effect === undefined || effect === 'read') return undefined;
  return effect === 'destructive' ? 'destructive' : 'writes';
}

/** Whether the step would run now: the resume decision does not leave it as journaled, and its condition (when it can be told yet) holds. */
export function wouldRun(run: Pick<Run, 'opts'>, seq: Sequence, step: StepDef): boolean {
  const prior = run.opts.journal.state().steps.get(seq.prefix + step.id);
  if (settled(decideStep(seq.steps, step, prior, run.opts.actions))) return false;
  if (step.when === undefined) return true;
  try {
    return resolveValue(step.when, seq.scope) === true;
  } catch {
    return true;
  }
}

/** A step's condition in words: ", only when size-for-plan's grow". */
function condition(step: StepDef): string {
  return step.when === undefined ? '' : `, only when ${refInWords(step.when)}`;
}

/**
 * With --plan, before the runbook's first step that would change the platform: the plan is shown
 * and journaled, and the run stops (Planned). Steps of a for-each item never stop here: the
 * for-each step itself does.
 */
export function stopForPlan(run: Run, seq: Sequence, index: number): void {
  if (!run.opts.plan || seq.item) return;
  const step = seq.steps[index]!;
  if (change(run, step) === undefined || !wouldRun(run, seq, step)) return;
  planned(run, seq, index, 'the first that changes the platform');
}

/**
 * With --plan, at a step that asks a confirmation (its facts shown): a plan decides nothing, so no
 * confirmation is taken from --yes, the answers file or the operator, and the run stops there. The
 * live run or resume that goes on asks it.
 */
export function stopBeforeConfirmation(run: Run, seq: Sequence, step: StepDef): void {
  if (run.opts.plan) planned(run, seq, seq.steps.indexOf(step), 'the first that asks to confirm: a plan confirms nothing');
}

function planned(run: Run, seq: Sequence, index: number, why: string): never {
  const step = seq.steps[index]!;
  const total = seq.steps.length;
  const { reporter, journal } = run.opts;
  reporter.line('');
  reporter.line(`PLAN: nothing has been changed. Every step before [${index + 1}/${total}] only read; from there a recovery would run:`);
  seq.steps.slice(index).forEach((s, i) => {
    const what = change(run, s);
    const confirm = s.confirm || what === 'destructive' ? ', asks to confirm' : '';
    reporter.line(`  [${index + i + 1}/${total}] ${s.title} (${what ?? 'reads'}${confirm}${condition(s)})`);
  });
  journal.append({ type: 'run.planned', step: seq.prefix + step.id });
  throw new Planned(`planned: nothing was changed; the run waits before step "${step.id}", ${why}`, {
    hint: 'review the plan and the facts above; the recovery goes on from there',
  });
}
