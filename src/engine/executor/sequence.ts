/**
 * Runs steps in order: the runbook's own, or a for-each item's (their journal ids prefixed with
 * `FOR_EACH_ID/KEY/`). On resume a finished step is skipped with its journaled outputs (its ambient
 * state re-established first), a skipped one stays skipped; the others run (see executor-step.ts).
 */
import { NeedsOperator } from '../../core/errors.js';
import { failpoint } from '../../core/failpoints.js';
import { stopForPlan } from './plan.js';
import { runForEach } from './foreach.js';
import type { Run, Sequence } from './options.js';
import { outcome, runStep } from './step.js';
import { decideStep } from './resume-decision.js';
import type { StepDef } from '../runbook/runbook.js';
import { refInWords, shortValue } from '../operator/screen-text.js';
import { resolveValue } from '../runbook/template.js';

export async function runSequence(run: Run, seq: Sequence): Promise<void> {
  const total = seq.steps.length;
  for (const [i, step] of seq.steps.entries()) {
    seq.item?.onStep(step.id);
    await run.record.before(seq, i);
    stopForPlan(run, seq, i);
    seq.screen.stepHeader(i + 1, total, step.title, step.why);
    try {
      const outputs = await runOne(run, seq, step);
      if (outputs !== undefined) seq.scope.outputs[step.id] = outputs;
    } catch (err) {
      // A question with no answer waits for the operator; anything else stops the step.
      if (err instanceof NeedsOperator) seq.screen.waiting(err.message);
      else seq.screen.stopped();
      throw err;
    }
    failpoint(`step:${seq.prefix}${step.id}`);
  }
}

/** Runs one step, or skips it; its outputs, or undefined when it was skipped. */
async function runOne(run: Run, seq: Sequence, step: StepDef): Promise<Record<string, unknown> | undefined> {
  const { journal, actions } = run.opts;
  const id = seq.prefix + step.id;
  const ctx = run.contextFor(id, seq.screen, seq.prompts, step.choose);
  const prior = journal.state().steps.get(id) ?? { status: 'pending', attempts: 0 };
  const action = actions.get(step.action);
  const decision = decideStep(seq.steps, step, prior, actions);
  if (decision.do === 'reuse') {
    const outputs = prior.outputs ?? {};
    const earlier = `done earlier: ${outcome(seq.screen, outputs, action)}`;
    if (decision.reassert && action?.reassert) {
      // Its effect lives in ambient state (the cf target...): re-establish and verify it before any later step.
      const summary = await action.reassert(ctx, prior.params ?? {}, outputs);
      journal.append({ type: 'ambient.reasserted', step: id, summary });
      seq.screen.skipped(earlier, `re-established: ${summary}`);
    } else seq.screen.skipped(earlier);
    return outputs;
  }
  if (decision.do === 'stay-skipped') {
    seq.screen.skipped('skipped earlier');
    return undefined;
  }
  if (step.when !== undefined) {
    const value = resolveValue(step.when, seq.scope);
    if (value !== true) {
      const reason = `${refInWords(step.when)} is ${shortValue(value)}`;
      journal.append({ type: 'step.skipped', step: id, reason });
      seq.screen.skipped(`skipped: ${reason}`);
      return undefined;
    }
  }
  if (step.forEach) return runForEach(run, seq, { step, forEach: step.forEach, id, prior }, runSequence);
  if (!action) throw new Error(`step "${id}": no action ${JSON.stringify(step.action)} (the runbook loader lets none through)`);
  const params = resolveValue(step.with, seq.scope) as Record<string, unknown>;
  for (const [k, spec] of Object.entries(action.params))
    if (params[k] === undefined && spec.default !== undefined) params[k] = spec.default;
  const work = (): Promise<Record<string, unknown>> => runStep(run, seq, { step, id, action, ctx, prior, decision: decision.do }, params);
  const exclusive = step.exclusive === undefined ? undefined : String(resolveValue(step.exclusive, seq.scope));
  return exclusive === undefined || !seq.item ? work() : seq.item.exclusive.with(`exclusive:${exclusive}`, work);
}
