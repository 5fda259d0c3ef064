/**
 * A run started by a command that answers one runbook's questions from another's answers file
 * (`recover --target-time` runs restore-to-time from the recovery's answers): inputs the command
 * gives, answers renamed, and the confirmations of steps the runbook does not have left out. The
 * mapping is journaled with the run, so a resume reads any answers file the same way.
 */
import type { Answers } from './answers.js';
import { isRecord } from '../../core/json.js';

export interface AnswersMapping {
  /** Inputs the command gives: they stand whatever the answers file says. */
  inputs: Record<string, unknown>;
  /** An answers file's input → the runbook's input it answers. */
  renamedInputs: Record<string, string>;
  /** A runbook's input → the input whose answer it takes when nothing else gives it. */
  sameAs: Record<string, string>;
  /** An answers file's confirmation → the runbook's step it confirms, or null for a step the runbook does not have. */
  renamedConfirms: Record<string, string | null>;
  /** What the command made of the run, and why: shown when it starts. */
  note: string;
}

function renamed<T>(from: Record<string, T>, names: Record<string, string | null>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(from)) {
    const to = key in names ? names[key] : key;
    if (to !== null && to !== undefined && !(to in out)) out[to] = value;
  }
  return out;
}

/** The answers as the runbook reads them: renamed, the command's inputs over the file's. */
export function mapAnswers(answers: Answers, mapping: AnswersMapping | undefined): Answers {
  if (!mapping) return answers;
  return {
    ...answers,
    inputs: { ...renamed(answers.inputs, mapping.renamedInputs), ...mapping.inputs },
    confirm: renamed(answers.confirm, mapping.renamedConfirms),
  };
}

/** A journaled mapping, read back for a resume (undefined when the run was started without one). */
export function journaledMapping(value: unknown): AnswersMapping | undefined {
  if (!isRecord(value)) return undefined;
  const { inputs, renamedInputs, sameAs, renamedConfirms, note } = value;
  if (!isRecord(inputs) || !isRecord(renamedInputs) || !isRecord(sameAs) || !isRecord(renamedConfirms) || typeof note !== 'string')
    return undefined;
  return {
    inputs,
    renamedInputs: renamedInputs as Record<string, string>,
    sameAs: sameAs as Record<string, string>,
    renamedConfirms: renamedConfirms as Record<string, string | null>,
    note,
  };
}
