/**
 * A step's confirmation: the facts it acts on are gathered, then confirmed by the plan (a for-each
 * item's step whose for-each names a confirmed step in confirmedBy), the answers file, --yes, or
 * the operator typing. After an interruption a confirmed step goes on only if its facts still hold.
 */
import { confirmationMatches, describeExpected } from '../operator/confirmation.js';
import { afterRecheck } from './resume-decision.js';
import { stopBeforeConfirmation } from './plan.js';
import type { Run, Sequence, StepRun } from './options.js';
import { type StepState } from '../journal/replay.js';
import { resolveValue } from '../runbook/template.js';
import { StepFailed, UsageError } from '../../core/errors.js';

/** Confirmed before an interruption: only go on if the facts it was confirmed on still hold. */
function recheck(s: StepRun, confirmed: NonNullable<StepState['confirmed']>, facts: Record<string, string>, seq: Sequence): void {
  const stable = s.action.stableEvidence;
  const drift = Object.entries(confirmed.evidence)
    .filter(([k, v]) => (!stable || stable.includes(k)) && facts[k] !== undefined && facts[k] !== v)
    .map(([k, v]) => `${k} was ${v}, now ${facts[k]}`);
  if (afterRecheck(drift).do === 'stop') {
    throw new StepFailed(`the evidence step "${s.id}" was confirmed on has changed: ${drift.join('; ')}`, {
      hint: 'someone or something changed the platform since; check what happened before going on',
    });
  }
  seq.screen.confirmedBy(`evidence re-checked: unchanged since ${confirmed.method === 'typed' ? 'it was confirmed' : 'it was accepted'}`);
}

/** The step whose confirmation covers this item step, when that step was confirmed in this run. */
function coveringStep(run: Run, seq: Sequence): string | undefined {
  const by = seq.item?.coveredBy;
  if (by === undefined) return undefined;
  return run.opts.journal.state().steps.get(by)?.confirmed ? by : undefined;
}

/** The answers file's confirmation of the step: by its full id, or for an item's step by its id in the sub-runbook. */
function fromAnswers(run: Run, seq: Sequence, s: StepRun): { key: string; value: string | true } | undefined {
  const { confirm } = run.opts.answers;
  for (const key of seq.item ? [s.id, s.step.id] : [s.id]) {
    const value = confirm[key];
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

export async function confirm(run: Run, seq: Sequence, s: StepRun, params: Record<string, unknown>): Promise<void> {
  const { journal } = run.opts;
  const { step, id, action } = s;
  const facts = action.evidence ? await action.evidence(s.ctx, params) : {};
  const coveredBy = coveringStep(run, seq);
  if (s.prior.confirmed) {
    if (!seq.item) seq.screen.confirmation(facts, false);
    recheck(s, s.prior.confirmed, facts, seq);
    return;
  }
  journal.append({ type: 'evidence', step: id, facts });
  if (run.opts.plan && coveredBy === undefined) {
    seq.screen.confirmation(facts, false);
    stopBeforeConfirmation(run, seq, step);
  }
  const def = step.confirm ?? { typed: '', message: step.title };
  const expected = String(resolveValue(def.typed, seq.scope));
  const alsoAccept = def.alsoAccept === undefined ? undefined : String(resolveValue(def.alsoAccept, seq.scope));
  if (coveredBy !== undefined) {
    journal.append({ type: 'confirm', step: id, method: 'plan', coveredBy, expected, evidence: facts });
    seq.screen.confirmedBy(`confirmed with the plan (step ${coveredBy})`);
    return;
  }
  const given = fromAnswers(run, seq, s);
  // An item's facts are shown only when the operator is asked; the run's own steps show them always.
  const asked = given === undefined && !run.opts.yes;
  if (!seq.item || asked) seq.screen.confirmation(facts, asked);
  const accepted = describeExpected(expected) + (alsoAccept ? ` or "${alsoAccept}"` : '');
  if (given !== undefined) {
    if (given.value !== true && !confirmationMatches(given.value, expected, alsoAccept)) {
      throw new UsageError(`answers file: confirm.${given.key} is "${given.value}", but step "${id}" acts on ${accepted}`, {
        hint: 'the answers file was written for another run or instance; correct it and resume',
      });
    }
    const typed = given.value === true ? undefined : given.value;
    journal.append({ type: 'confirm', step: id, method: 'answers', typed, expected, evidence: facts });
    seq.screen.confirmedBy('confirmed by the answers file');
    return;
  }
  if (run.opts.yes) {
    journal.append({ type: 'confirm', step: id, method: '--yes', expected, evidence: facts });
    seq.screen.confirmedBy('confirmed by --yes');
    return;
  }
  const message = `${String(resolveValue(def.message, seq.scope))} — type ${accepted} to confirm`;
  const typed = await seq.prompts.typed({ key: id, message, expected, alsoAccept });
  journal.append({ type: 'confirm', step: id, method: 'typed', typed, expected, evidence: facts });
  seq.screen.confirmedBy('confirmed by typing', true);
}
