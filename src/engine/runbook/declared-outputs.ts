/**
 * The values a runbook's declarations take in a run, read from its steps' outputs by step id: its
 * declared outputs (those whose step finished), the step each is taken from, and the instance the
 * run is about once the step naming it finished.
 */
import type { Runbook } from './runbook-model.js';
import { stepRef } from './runbook-outputs.js';
import { resolveValue } from './template.js';

/** A reference read against steps' outputs; undefined when its step has not finished. */
function read(ref: string, outputs: Record<string, Record<string, unknown>>): unknown {
  try {
    return resolveValue(ref, { inputs: {}, outputs, run: { id: '', mode: '' } });
  } catch {
    return undefined;
  }
}

/** The runbook's declared outputs, from its steps' outputs by step id: those whose step finished. */
export function declaredOutputs(
  runbook: Pick<Runbook, 'outputs'>,
  outputs: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of runbook.outputs) {
    const v = read(o.from, outputs);
    if (v !== undefined) out[o.name] = v;
  }
  return out;
}

/** The step each declared output is taken from (an inner step, once `use` steps are inlined), by output name. */
export function outputSteps(runbook: Pick<Runbook, 'outputs'>): Record<string, string> {
  const steps: Record<string, string> = {};
  for (const o of runbook.outputs) {
    const ref = stepRef(o.from);
    if (typeof ref !== 'string') steps[o.name] = ref.step;
  }
  return steps;
}

/** The instance a run is about, once the step naming it finished (none for a runbook about a space). */
export interface RunSubject {
  instanceGuid: string;
  archiveUrl?: string;
  live: boolean;
}

export function runSubject(runbook: Pick<Runbook, 'subject'>, outputs: Record<string, Record<string, unknown>>): RunSubject | undefined {
  const s = runbook.subject;
  if (s?.instanceGuid === undefined) return undefined;
  const guid = read(s.instanceGuid, outputs);
  if (typeof guid !== 'string' || !guid) return undefined;
  const archive = s.archiveUrl === undefined ? undefined : read(s.archiveUrl, outputs);
  const live = typeof s.live === 'boolean' ? s.live : read(s.live, outputs) === true;
  return { instanceGuid: guid, ...(typeof archive === 'string' && archive ? { archiveUrl: archive } : {}), live };
}
