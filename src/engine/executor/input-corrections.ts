/**
 * Correcting an answer where a step failed on it: `resume ID --set key=VALUE`, or, at a terminal,
 * the failed step's questions asked again with the old answers as defaults. A correction is
 * journaled with the answer it replaces (who and when with every event), and `show` and the report
 * list it. An answer a finished step already used cannot change (input-changes.ts refuses it).
 */
import { commandLine } from '../../core/command-line.js';
import { UsageError } from '../../core/errors.js';
import type { Answers } from '../operator/answers.js';
import type { RunState } from '../journal/replay.js';
import type { Runbook, StepDef } from '../runbook/runbook.js';
import { didYouMean } from '../runbook/did-you-mean.js';

/**
 * `key=VALUE` pairs of --set, each an input of the runbook: a key that is none (`--set spcae=x`, or
 * `--set spcae` without its value) is refused naming the nearest input, then a pair without its value.
 */
export function parseCorrections(given: readonly string[] | undefined, runbook: Runbook): Record<string, string> {
  const names = runbook.inputs.map((i) => i.name);
  const out: Record<string, string> = {};
  for (const pair of given ?? []) {
    const at = pair.indexOf('=');
    const key = (at < 0 ? pair : pair.slice(0, at)).trim();
    if (key && !names.includes(key)) {
      throw new UsageError(`--set ${key}: runbook ${runbook.name} asks no input "${key}"${didYouMean(key, names)}`, {
        hint: `correct the key; the runbook's inputs are: ${names.join(', ')}`,
      });
    }
    if (at <= 0) {
      throw new UsageError(`--set ${JSON.stringify(pair)} is not key=VALUE`, {
        hint: `give the input and its corrected answer, e.g. --set ${key || 'space'}=${key ? 'VALUE' : 'NAME'}`,
      });
    }
    out[key] = pair.slice(at + 1);
  }
  return out;
}

/** The answers with --set's corrections over them. */
export function withCorrections(answers: Answers, corrections: Record<string, string>): Answers {
  return Object.keys(corrections).length ? { ...answers, inputs: { ...answers.inputs, ...corrections } } : answers;
}

/** The answers with the inputs the command gives a new run (recover --target-time) over the file's. */
export function withGivenInputs(answers: Answers, given: Record<string, unknown> | undefined): Answers {
  return given ? { ...answers, inputs: { ...answers.inputs, ...given } } : answers;
}

/** The inputs a step uses (in its parameters, confirmation and for-each), in the runbook's order. */
export function inputsOf(runbook: Runbook, step: StepDef): string[] {
  const text = JSON.stringify([step.with, step.confirm ?? null, step.forEach?.items ?? null, step.forEach?.inputs ?? null]);
  return runbook.inputs.map((i) => i.name).filter((name) => text.includes(`\${inputs.${name}}`));
}

/** The runbook's own step the run last failed at, if it is failed now. */
export function failedStep(runbook: Runbook, state: RunState): StepDef | undefined {
  return runbook.steps.find((s) => state.steps.get(s.id)?.status === 'failed');
}

/** For a run stopped at a failed step that used answers: the line naming how to correct one where it failed. */
export function correctionHint(runbook: Runbook, state: RunState, runId: string): string | undefined {
  const step = failedStep(runbook, state);
  const names = step ? inputsOf(runbook, step) : [];
  if (!step || names.length === 0) return undefined;
  const placeholder = (name: string): string => (runbook.inputs.find((i) => i.name === name)?.type === 'string' ? 'NAME' : 'VALUE');
  const lines = names.map((n) => commandLine(['resume', runId, '--set', `${n}=${placeholder(n)}`]));
  return `if an answer step "${step.id}" used was wrong (${names.map((n) => `${n}: ${JSON.stringify(state.inputs[n])}`).join(', ')}), correct it where it failed: ${lines.join(', or ')} (at a terminal, resume asks it again)`;
}
