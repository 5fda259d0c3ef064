/**
 * Runs a runbook: asks the inputs, then each step in order, journaling everything.
 * On resume, finished steps are skipped with their recorded outputs; a step that
 * started and never finished runs its probe to decide; before a destructive step
 * runs again, the evidence it relies on is re-checked. A for-each step runs a
 * sub-runbook per item (executor-foreach.ts).
 */
import { Interrupted } from '../../core/errors.js';
import { stepContexts } from './step-context.js';
import { askInputs } from './inputs.js';
import type { ExecuteOptions, ExecuteResult, PromptClock, Run } from './options.js';
import { timedPrompts } from './prompts.js';
import { RecordPoint } from './record.js';
import { runSequence } from './sequence.js';
import { replay } from '../journal/replay.js';
import type { Scope } from '../runbook/template.js';

export type { ExecuteOptions, ExecuteResult } from './options.js';

export async function execute(options: ExecuteOptions): Promise<ExecuteResult> {
  const clock: PromptClock = { ms: 0 };
  const opts: ExecuteOptions = { ...options, prompts: timedPrompts(options.prompts, options.reporter, clock) };
  const state = replay(opts.events);
  const scope: Scope = { inputs: { ...state.inputs }, outputs: {}, run: { id: opts.runId, mode: opts.platform.mode } };
  const contexts = stepContexts(opts);
  const record = new RecordPoint({ opts });
  const run: Run = {
    opts,
    clock,
    record,
    contextFor: (id, screen, prompts, choose) => contexts.contextFor(id, screen, prompts, choose),
  };
  try {
    record.start();
    await askInputs(opts, scope);
    await runSequence(run, { steps: opts.runbook.steps, scope, prefix: '', screen: opts.reporter, prompts: opts.prompts });
    await record.atEnd(scope);
    opts.journal.append({ type: 'run.finished' });
    return { state: opts.journal.state(), outputs: scope.outputs };
  } catch (err) {
    // Stopped before changing anything: the platform is still as the run found it. The stop stays the run's
    // answer; an operator's Ctrl-C at a question is not kept waiting for a read.
    if (!(err instanceof Interrupted)) await record.atEnd(scope).catch(() => undefined);
    throw err;
  } finally {
    await contexts.close();
  }
}
