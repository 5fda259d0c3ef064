/** Resuming under a changed runbook: allowed when the steps the run reached are the same, in the same order. */
import { describe, expect, it } from 'vitest';
import { runbookChangeProblem, underCurrentNames } from '../../../src/engine/run/runbook-change.js';
import type { StepState } from '../../../src/engine/journal/index.js';
import type { ActionDef, StepDef } from '../../../src/engine/runbook/index.js';

const step = (id: string, action = `t.${id}`, sub?: StepDef[]): StepDef =>
  ({
    id,
    title: id,
    why: '',
    action: sub ? '' : action,
    with: {},
    line: 1,
    ...(sub ? { forEach: { items: '', concurrency: 1, inputs: {}, runbook: { steps: sub } } } : {}),
  }) as unknown as StepDef;
const reached = (...ids: string[]): Map<string, StepState> => new Map(ids.map((id) => [id, { status: 'finished', attempts: 1 }]));
const steps = [step('find'), step('confirm'), step('stop'), step('copy')];

describe('a run resumed under a changed runbook', () => {
  it('goes on when the steps it reached are the same, whatever comes after them', () => {
    expect(runbookChangeProblem(steps, reached('find', 'confirm'))).toBeNull();
    expect(runbookChangeProblem([...steps.slice(0, 2), step('new-check'), ...steps.slice(2)], reached('find', 'confirm'))).toBeNull();
    expect(runbookChangeProblem(steps, new Map())).toBeNull();
  });

  it('is refused when a step it reached is gone', () => {
    expect(runbookChangeProblem([step('find'), step('stop')], reached('find', 'confirm'))).toBe(
      'step "confirm", which the run has reached, is no longer in the runbook',
    );
    expect(runbookChangeProblem([step('find'), step('stop')], reached('find', 'confirm', 'stop'))).toBe(
      'step "confirm", which the run has reached, is no longer in the runbook',
    );
  });

  it('is refused when a step now comes before one it reached (it would run out of order)', () => {
    expect(runbookChangeProblem([step('find'), step('new-check'), ...steps.slice(1)], reached('find', 'confirm'))).toBe(
      'step "new-check" now comes before step "confirm", which the run reached first',
    );
    expect(runbookChangeProblem([step('confirm'), step('find'), ...steps.slice(2)], reached('find', 'confirm'))).toBe(
      'step "confirm" now comes before step "find", which the run reached first',
    );
  });

  it('is refused when a step it reached now runs another action than the run started with', () => {
    const recorded = steps.map((s) => ({ id: s.id, action: s.action }));
    expect(runbookChangeProblem([step('find'), step('confirm', 't.other'), ...steps.slice(2)], reached('find', 'confirm'), recorded)).toBe(
      'step "confirm" now runs t.other, where the run started with t.confirm',
    );
  });

  it("checks each for-each item's steps against the sub-runbook", () => {
    const item = [step('create'), step('swap')];
    const parent = [step('plan'), step('each', '', item), step('report')];
    const ran = reached('plan', 'each', 'each/orders-db/create', 'each/orders-db/swap', 'each/reports-db/create');
    expect(runbookChangeProblem(parent, ran)).toBeNull();
    expect(runbookChangeProblem([step('plan'), step('each', '', [step('create'), step('check'), step('swap')]), step('report')], ran)).toBe(
      'step "each/orders-db/check" now comes before step "each/orders-db/swap", which the run reached first',
    );
  });

  it('takes an action renamed since the run started (its formerly) as the same action, and no other', () => {
    const actions = new Map<string, ActionDef>([
      ['t.confirm-instance', { name: 't.confirm-instance', formerly: ['t.confirm'] } as unknown as ActionDef],
    ]);
    const now = [step('find'), step('confirm', 't.confirm-instance'), ...steps.slice(2)];
    const recorded = steps.map((s) => ({ id: s.id, action: s.action }));
    expect(runbookChangeProblem(now, reached('find', 'confirm'), underCurrentNames(recorded, actions))).toBeNull();
    expect(runbookChangeProblem(now, reached('find', 'confirm'), recorded)).toBe(
      'step "confirm" now runs t.confirm-instance, where the run started with t.confirm',
    );
    const elsewhere = [step('find'), step('confirm', 't.other'), ...steps.slice(2)];
    expect(runbookChangeProblem(elsewhere, reached('find', 'confirm'), underCurrentNames(recorded, actions))).toBe(
      'step "confirm" now runs t.other, where the run started with t.confirm-instance',
    );
  });
});
