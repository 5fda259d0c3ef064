/**
 * A step's confirmation: the facts it acts on are gathered, then confirmed by the plan (a for-each
 * item's step whose for-each names a confirmed step in confirmedBy), the answers file, --yes, or
 * the operator typing. A confirmation typed only (confirm.typedInput) is never --yes's: the text is
 * typed, or given as that input (`resume ID --set NAME=TEXT`), else the step waits for the operator.
 * After an interruption a confirmed step goes on only if its facts still hold.
 */
import { commandLine } from '../../core/command-line.js';
import { confirmationMatches, describeExpected } from '../operator/confirmation.js';
import { afterRecheck } from './resume-decision.js';
import { stopBeforeConfirmation } from './plan.js';
import type { Run, Sequence, StepRun } from './options.js';
import { type StepState } from '../journal/replay.js';
import { resolveValue, wholeInputRef } from '../runbook/template.js';
import { NeedsOperator, StepFailed, UsageError } from '../../core/errors.js';
import type { ConfirmDef } from '../runbook/runbook.js';

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

const textOf = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** A confirmation typed only: the input its text is given as (named when the run's own), and the text given there. */
function typedOnly(def: ConfirmDef, seq: Sequence): { input?: string; given: string } | undefined {
  if (def.typedInput === undefined) return undefined;
  return { input: seq.item ? undefined : wholeInputRef(def.typedInput), given: textOf(resolveValue(def.typedInput, seq.scope)) };
}

/** A typed-only step with no one to type: it waits, naming what it acts on and the line that confirms it. */
function waitForTyping(
  run: Run,
  s: StepRun,
  o: { input?: string; expected: string; facts: Record<string, string>; why: string },
): NeedsOperator {
  const facts = Object.entries(o.facts).map(([k, v]) => `${k}: ${v}`);
  const how = o.input
    ? `${commandLine(['resume', run.opts.runId, '--set', `${o.input}=${o.expected}`])} (or resume at a terminal, without --yes, and type it)`
    : `add confirm.${s.id}: ${o.expected} to the answers file, then ${commandLine(['resume', run.opts.runId, '--answers', 'FILE'])}`;
  return new NeedsOperator(
    `step "${s.id}" is confirmed only by the operator typing "${o.expected}", never by --yes: ${o.why}${facts.length ? ` (${facts.join('; ')})` : ''}`,
    {
      hint: `review what it acts on, then confirm it: ${how}; nothing was changed`,
    },
  );
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
  const only = typedOnly(def, seq);
  const typedAhead = only?.given ? only : undefined;
  // An item's facts are shown only when the operator is asked; the run's own steps show them always.
  const asked = given === undefined && typedAhead === undefined && !run.opts.yes && (only === undefined || seq.prompts.interactive);
  if (!seq.item || asked) seq.screen.confirmation(facts, asked);
  const accepted = describeExpected(expected) + (alsoAccept ? ` or "${alsoAccept}"` : '');
  if (only && given?.value === true) {
    throw new UsageError(`answers file: confirm.${given.key} is true, but step "${id}" is confirmed only by typing ${accepted}`, {
      hint: `give the text itself (confirm.${given.key}: ${expected}) once you reviewed what the step acts on, then resume`,
    });
  }
  if (given === undefined && typedAhead) {
    if (!confirmationMatches(typedAhead.given, expected, alsoAccept)) {
      throw waitForTyping(run, s, {
        input: typedAhead.input,
        expected,
        facts,
        why: `${typedAhead.input ? `input ${typedAhead.input}` : 'the text given'} is "${typedAhead.given}", which is not what it acts on now`,
      });
    }
    journal.append({ type: 'confirm', step: id, method: 'answers', typed: typedAhead.given, expected, evidence: facts });
    seq.screen.confirmedBy(`confirmed by ${typedAhead.input ? `inputs.${typedAhead.input}` : 'the text given'}`);
    return;
  }
  if (given === undefined && only && (run.opts.yes || !seq.prompts.interactive)) {
    throw waitForTyping(run, s, {
      input: only.input,
      expected,
      facts,
      why: `${String(resolveValue(def.message, seq.scope))}, and ${run.opts.yes ? '--yes was given' : 'no terminal asks'}`,
    });
  }
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
