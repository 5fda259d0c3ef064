/**
 * Golden journals: journals of real runs (a rehearsal done, one waiting for the operator, and runs
 * killed mid-step by failpoints, single and space) are committed beside the decisions a resume makes
 * on each of their steps. A change to a step, an action or the resume policy that would change what
 * an old run does when resumed fails here: update the decisions (vitest -u) only when that is meant.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { actionRegistry } from '../../src/actions/index.js';
import { readJournal, replay, type StepState } from '../../src/engine/journal/index.js';
import { afterProbe, beforeStep, lacksOutputs, resumeTraits } from '../../src/engine/run/index.js';
import { runbookChangeProblem } from '../../src/engine/run/runbook-change.js';
import { loadRunbook, type Runbook } from '../../src/engine/runbook/index.js';

const actions = actionRegistry();
const dir = resolve(ROOT, 'test/golden/journals');

/** What a resume does with one step: reuse, stay-skipped, run, or probe (and, without a probe, what then). */
function decide(runbook: Runbook, stepId: string, prior: StepState | undefined): string {
  const step = runbook.steps.find((s) => s.id === stepId)!;
  const action = step.forEach ? undefined : actions.get(step.action);
  const status = prior?.status ?? 'pending';
  const stale = status === 'finished' && lacksOutputs(runbook.steps, stepId, action, prior?.outputs);
  const traits = resumeTraits(action);
  const d = beforeStep({ status, stale }, traits);
  if (d.do === 'reuse') return d.reassert ? 'reuse, reassert' : 'reuse';
  if (d.do !== 'probe') return d.do;
  return traits!.probe ? 'probe' : `probe: none, ${afterProbe('none', traits!).do}`;
}

/** The decision on every step of the run, and on every item step its journal names. */
function decisions(file: string): Record<string, string> {
  const state = replay(readJournal(file));
  const runbook = loadRunbook(resolve(ROOT, 'runbooks', `${state.created.runbook.name}.yaml`), actions);
  const out: Record<string, string> = {};
  for (const step of runbook.steps) {
    out[step.id] = decide(runbook, step.id, state.steps.get(step.id));
    if (!step.forEach) continue;
    const sub = step.forEach.runbook;
    for (const [id, prior] of state.steps) {
      const m = new RegExp(`^${step.id}/([^/]+)/([^/]+)$`).exec(id);
      if (m) out[id] = decide(sub, m[2]!, prior);
    }
  }
  return out;
}

describe('resuming the golden journals', () => {
  const journals = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  it('has journals to check', () => {
    expect(journals).toEqual(expect.arrayContaining(['done.ndjson', 'midcopy.ndjson', 'space.ndjson', 'waiting.ndjson']));
  });
  it.each(journals)('%s: may resume under the runbook as it is today (its reached steps are the same)', (name) => {
    const state = replay(readJournal(join(dir, name)));
    const runbook = loadRunbook(resolve(ROOT, 'runbooks', `${state.created.runbook.name}.yaml`), actions);
    expect(state.steps.size).toBeGreaterThan(0);
    expect(runbookChangeProblem(runbook.steps, state.steps, state.created.runbook.steps)).toBeNull();
  });
  it.each(journals)('%s: the same decisions as when it was committed', async (name) => {
    await expect(JSON.stringify(decisions(join(dir, name)), null, 2) + '\n').toMatchFileSnapshot(
      join(dir, name.replace(/\.ndjson$/, '.decisions.json')),
    );
  });
});
