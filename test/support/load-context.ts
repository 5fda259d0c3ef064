/** The step context pitr.load-dumps runs with in tests: the cell's session given, what the step says kept. */
import type { CellSession } from '../../src/core/seams.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { testRuntime } from './runtime.js';
import { testChoices } from './choices.js';

export function loadContext(
  cell: () => Promise<CellSession>,
  choose: Record<string, string> = {},
): { ctx: StepContext; notes: string[]; decided: { key: string; value: string; by: string }[] } {
  const notes: string[] = [];
  const decided: { key: string; value: string; by: string }[] = [];
  const say = (t: string): void => {
    notes.push(t);
  };
  const ctx = {
    settings: DEFAULT_SETTINGS,
    runtime: testRuntime(),
    answers: { inputs: {}, secrets: {} },
    choices: testChoices(choose, undefined, decided),
    cell,
    evidence: say,
    note: say,
    warn: say,
    progress: () => {},
    now: () => new Date('2026-11-25T13:00:00Z'),
  } as unknown as StepContext;
  return { ctx, notes, decided };
}
