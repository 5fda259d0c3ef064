/**
 * The choices a step's context decides in tests, through the engine's own asker: each choice every
 * action asks declared (as a runbook step would), answered by `given` (as an answers file would), else by
 * `prompts` (a terminal, or none).
 */
import { actionRegistry } from '../../src/actions/index.js';
import { choiceAsker, type ChoiceAsker } from '../../src/engine/executor/choices.js';
import type { Journal } from '../../src/engine/journal/journal.js';
import { UnattendedPrompter, type Prompter } from '../../src/engine/operator/index.js';
import type { ChoiceDef } from '../../src/engine/runbook/runbook-model.js';

/** A terminal that answers from a list (text questions) or a fixed value (lists), recording what it was asked. */
export type TestPrompter = Partial<Prompter> & { interactive: boolean };

/** Every choice the actions ask, declared as a runbook would, with a hint a test can find. */
function everyChoice(): ChoiceDef[] {
  return [...actionRegistry().values()].flatMap((a) =>
    Object.entries(a.chooses ?? {}).map(([key, spec]) => ({
      key,
      candidates: `the candidates of ${key}`,
      hint: `the runbook's hint for ${key}`,
      ...(spec.values ? { values: spec.values } : {}),
      line: 1,
    })),
  );
}

/** The asker, the choices it journaled collected in `decided`. */
export function testChoices(
  given: Record<string, string> = {},
  prompts: TestPrompter = new UnattendedPrompter(undefined),
  decided: { key: string; value: string; by: string }[] = [],
): ChoiceAsker {
  const journal = { append: (e: { key: string; value: string; by: string }) => decided.push(e) } as unknown as Journal;
  const sources = {
    given: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, { value: v, by: `choose.${k} in the answers file` }])),
  };
  return choiceAsker({ runId: 'test-run', stepId: 'test-step', declared: everyChoice(), sources, prompts: prompts as Prompter, journal });
}
