/** What a run produced, as its runbook declares it: the subject it is about and its declared outputs, read from its journal. */
import type { JournalEvent } from '../journal/journal-events.js';
import { replay } from '../journal/replay.js';
import type { Runbook } from '../runbook/runbook-model.js';
import { declaredOutputs, runSubject, type RunSubject } from '../runbook/runbook-outputs.js';

export interface RunProduced {
  /** The instance the run is about, once the step naming it finished. */
  subject: RunSubject | null;
  /** The runbook's declared outputs whose steps finished. */
  outputs: Record<string, unknown>;
}

export function runProduced(runbook: Pick<Runbook, 'subject' | 'outputs'>, events: readonly JournalEvent[]): RunProduced {
  const byStep: Record<string, Record<string, unknown>> = {};
  for (const [id, s] of replay([...events]).steps) if (s.status === 'finished') byStep[id] = s.outputs ?? {};
  return { subject: runSubject(runbook, byStep) ?? null, outputs: declaredOutputs(runbook, byStep) };
}
