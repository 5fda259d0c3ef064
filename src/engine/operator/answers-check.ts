/**
 * An answers file checked against the runbook it answers, before a run exists: every input,
 * confirmation and choice it names must be one the runbook asks, every input's value of the right
 * kind and every choice's among its values when they are known, so a typo is refused at once instead
 * of being ignored until a step stops on it (or, for a choice, silently never read).
 */
import { answerAt, type Answers } from './answers.js';
import { checkInput, describeInputType, normaliseInput } from '../executor/input-values.js';
import type { ActionRegistry, ChoiceDef, Runbook } from '../runbook/runbook-model.js';
import { didYouMean } from '../runbook/did-you-mean.js';
import { UsageError } from '../../core/errors.js';

/** The ids an answers file may confirm: steps with a confirm block or a destructive action, and for-each item steps. */
export function confirmIds(runbook: Runbook, actions: ActionRegistry): { exact: string[]; items: Map<string, string[]> } {
  const exact: string[] = [];
  const items = new Map<string, string[]>();
  for (const step of runbook.steps) {
    if (step.forEach) {
      const inner = confirmIds(step.forEach.runbook, actions).exact;
      if (inner.length) items.set(step.id, inner);
      exact.push(...inner);
    } else if (step.confirm || actions.get(step.action)?.effect === 'destructive') {
      exact.push(step.id);
    }
  }
  return { exact: [...new Set(exact)], items };
}

/** `FOR_EACH_ID/KEY/STEP_ID`: one item's step. */
function isItemId(id: string, items: Map<string, string[]>): boolean {
  const first = id.indexOf('/');
  const last = id.lastIndexOf('/');
  if (first <= 0 || last === first || last === id.length - 1) return false;
  return items.get(id.slice(0, first))?.includes(id.slice(last + 1)) === true;
}

function describeFound(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function checkConfirmIds(file: string, answers: Answers, runbook: Runbook, actions: ActionRegistry): void {
  const { exact, items } = confirmIds(runbook, actions);
  for (const id of Object.keys(answers.confirm)) {
    if (exact.includes(id) || isItemId(id, items)) continue;
    const valid = exact.length ? exact.join(', ') : 'none: this runbook asks for no confirmation';
    throw new UsageError(
      `answers file ${answerAt(file, answers, `confirm.${id}`)}: confirm.${id} is not a step runbook ${runbook.name} confirms${didYouMean(id, exact)}`,
      {
        hint: `correct the key under confirm; the steps it confirms are: ${valid}`,
      },
    );
  }
}

function checkInputs(file: string, answers: Answers, runbook: Runbook): void {
  const names = runbook.inputs.map((i) => i.name);
  for (const [name, value] of Object.entries(answers.inputs)) {
    const input = runbook.inputs.find((i) => i.name === name);
    if (!input) {
      throw new UsageError(
        `answers file ${answerAt(file, answers, `inputs.${name}`)}: inputs.${name} is not an input of runbook ${runbook.name}${didYouMean(name, names)}`,
        {
          hint: `correct the key under inputs; the runbook's inputs are: ${names.join(', ')}`,
        },
      );
    }
    const problem = checkInput(input, normaliseInput(input.type, value));
    if (problem === true) continue;
    throw new UsageError(
      `answers file ${answerAt(file, answers, `inputs.${name}`)}: inputs.${name} is ${describeFound(value)}, but it must be ${describeInputType(input)} (${problem})`,
      { hint: `correct inputs.${name} in the answers file` },
    );
  }
}

/** The choices the runbook's steps declare (a for-each's sub-runbook's too), by key: one key is one choice. */
function declaredChoices(runbook: Runbook): Map<string, ChoiceDef> {
  const out = new Map<string, ChoiceDef>();
  for (const step of runbook.steps) {
    for (const c of step.choose ?? []) if (!out.has(c.key)) out.set(c.key, c);
    if (step.forEach) for (const [k, c] of declaredChoices(step.forEach.runbook)) if (!out.has(k)) out.set(k, c);
  }
  return out;
}

/** Refuses a choice the answers file gives that none of `asked` is (`whose`: what asks them), naming the nearest. */
export function checkChoiceKeys(file: string, answers: Answers, asked: readonly string[], whose: string): void {
  for (const key of Object.keys(answers.choose)) {
    if (asked.includes(key)) continue;
    throw new UsageError(
      `answers file ${answerAt(file, answers, `choose.${key}`)}: choose.${key} is not a choice ${whose} asks${didYouMean(key, asked)}`,
      {
        hint: `correct the key under choose; the choices it asks are: ${asked.join(', ') || 'none'}`,
      },
    );
  }
}

function checkChoices(file: string, answers: Answers, runbook: Runbook): void {
  const declared = declaredChoices(runbook);
  checkChoiceKeys(file, answers, [...declared.keys()], `runbook ${runbook.name}`);
  for (const [key, value] of Object.entries(answers.choose)) {
    const values = declared.get(key)!.values;
    if (values && !values.includes(value.trim())) {
      throw new UsageError(
        `answers file ${answerAt(file, answers, `choose.${key}`)}: choose.${key} is "${value}", but it must be one of ${values.join(', ')}`,
        {
          hint: `correct choose.${key} in the answers file`,
        },
      );
    }
  }
}

/** Refuses an answers file that names what the runbook does not ask, or gives an input or a choice of the wrong kind. */
export function checkAnswers(file: string | undefined, answers: Answers, runbook: Runbook, actions: ActionRegistry): void {
  if (file === undefined) return;
  checkInputs(file, answers, runbook);
  checkConfirmIds(file, answers, runbook, actions);
  checkChoices(file, answers, runbook);
}
