/**
 * Runs a for-each step: its sub-runbook once per item, up to `concurrency` items at once. The item
 * list and each item's inputs are resolved once and journaled as the step's params; a resume uses
 * the journaled ones. Each item's steps are journaled as `FOR_EACH_ID/KEY/STEP_ID`, so a resume
 * skips what finished and probes what was interrupted, step by step, as for the runbook's own.
 * A failing item stops only itself; once every item settled, the step fails naming each failed
 * item, and a resume continues those items only.
 */
import { commandLine } from '../../core/command-line.js';
import type { Run, Sequence } from './options.js';
import { checkInput, normaliseInput } from './input-values.js';
import { itemPrompts, workTimer } from './prompts.js';
import { KeyedMutex } from './keyed-mutex.js';
import { isRecord } from '../../core/json.js';
import { messageOf } from '../../core/errors.js';
import { type StepState } from '../journal/replay.js';
import type { ForEachDef, StepDef } from '../runbook/runbook.js';
import { resolveValue, type Scope } from '../runbook/template.js';
import { declaredOutputs } from '../runbook/declared-outputs.js';
import { DingoError, Interrupted, NeedsOperator, StepFailed } from '../../core/errors.js';
import { mapLimit } from '../../core/concurrency.js';
import { stopUndos } from '../../core/stop-undo.js';
import { decideStep, settled } from './resume-decision.js';

export interface ForEachRun {
  step: StepDef;
  forEach: ForEachDef;
  id: string;
  prior: StepState;
}

type RunSequence = (run: Run, seq: Sequence) => Promise<void>;

/** The step's journaled params: the items, their keys in order, and each item's resolved inputs. */
interface Frozen {
  items: unknown[];
  keys: string[];
  inputs: Record<string, Record<string, unknown>>;
}

interface ItemResult {
  key: string;
  status: 'finished' | 'failed';
  error?: string;
  failedStep?: string;
  /** The sub-runbook's declared outputs (those whose steps finished). */
  outputs: Record<string, unknown>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function frozenOf(prior: StepState): Frozen | undefined {
  const p = prior.params;
  if (prior.status === 'pending' || !p || !Array.isArray(p.items) || !Array.isArray(p.keys) || !isRecord(p.inputs)) return undefined;
  return p as unknown as Frozen;
}

function itemKey(fe: ForEachDef, item: unknown): string {
  const key = fe.key === undefined ? item : isRecord(item) ? item[fe.key] : undefined;
  if (typeof key !== 'string' || !KEY.test(key))
    throw new Error(`item ${JSON.stringify(item)}: its key${fe.key ? ` (field "${fe.key}")` : ''} must be text matching ${KEY.source}`);
  return key;
}

function itemInputs(fe: ForEachDef, item: unknown, key: string, scope: Scope): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const input of fe.runbook.inputs) {
    if (!(input.name in fe.inputs)) {
      inputs[input.name] = input.default;
      continue;
    }
    const value = normaliseInput(input.type, resolveValue(fe.inputs[input.name], { ...scope, item }));
    const problem = checkInput(input, value);
    if (problem !== true) throw new Error(`item "${key}": input "${input.name}" of runbook ${fe.runbook.name}: ${problem}`);
    inputs[input.name] = value;
  }
  return inputs;
}

/** Resolves the item list and each item's inputs, checked as answers to the sub-runbook's inputs are. */
function resolveItems(fe: ForEachDef, scope: Scope): Frozen {
  const items = resolveValue(fe.items, scope);
  if (!Array.isArray(items)) throw new Error(`${fe.items} is not a list (found ${JSON.stringify(items)})`);
  const frozen: Frozen = { items, keys: [], inputs: {} };
  for (const item of items) {
    const key = itemKey(fe, item);
    if (key in frozen.inputs) throw new Error(`two items have the key "${key}"; each item's key must be its own`);
    frozen.keys.push(key);
    frozen.inputs[key] = itemInputs(fe, item, key, scope);
  }
  return frozen;
}

/** What the journal holds of an item's steps: the outputs of those that finished. */
function journaledOutputs(run: Run, fe: ForEachRun, key: string): Record<string, Record<string, unknown>> {
  const state = run.opts.journal.state();
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const s of fe.forEach.runbook.steps) {
    const st = state.steps.get(`${fe.id}/${key}/${s.id}`);
    if (st?.status === 'finished') outputs[s.id] = st.outputs ?? {};
  }
  return outputs;
}

interface Shared {
  exclusive: KeyedMutex;
  prompts: KeyedMutex;
  errors: Map<string, unknown>;
}

async function runItem(
  run: Run,
  seq: Sequence,
  fe: ForEachRun,
  frozen: Frozen,
  key: string,
  shared: Shared,
  runSequence: RunSequence,
): Promise<ItemResult> {
  const prefix = `${fe.id}/${key}/`;
  const screen = run.opts.reporter.item(key);
  const state = run.opts.journal.state();
  const steps = fe.forEach.runbook.steps;
  if (steps.every((s) => settled(decideStep(steps, s, state.steps.get(prefix + s.id), run.opts.actions)))) {
    screen.settled('done earlier: every step of this item finished');
    return { key, status: 'finished', outputs: declaredOutputs(fe.forEach.runbook, journaledOutputs(run, fe, key)) };
  }
  let current: string | undefined;
  const item: Sequence = {
    steps,
    scope: { inputs: frozen.inputs[key] ?? {}, outputs: {}, run: seq.scope.run },
    prefix,
    screen,
    prompts: itemPrompts(seq.prompts, key, shared.prompts),
    item: { key, coveredBy: fe.forEach.confirmedBy, exclusive: shared.exclusive, onStep: (id) => (current = id) },
  };
  try {
    await runSequence(run, item);
    return { key, status: 'finished', outputs: declaredOutputs(fe.forEach.runbook, item.scope.outputs) };
  } catch (err) {
    shared.errors.set(key, err);
    // The failed step's own words, as journaled (the error thrown also names the step).
    const journaled = current === undefined ? undefined : run.opts.journal.state().steps.get(prefix + current)?.error;
    return {
      key,
      status: 'failed',
      error: journaled ?? messageOf(err),
      failedStep: current,
      outputs: declaredOutputs(fe.forEach.runbook, item.scope.outputs),
    };
  }
}

/** The error the for-each stops with: one naming every failed item (a crash or an interruption as it came). */
function failure(run: Run, fe: ForEachRun, failed: ItemResult[], total: number, errors: Map<string, unknown>): Error {
  const fatal = [...errors.values()].find((e) => !(e instanceof DingoError) || e instanceof Interrupted);
  if (fatal !== undefined) return fatal instanceof Error ? fatal : new Error(messageOf(fatal));
  const what = failed.map((r) => `item "${r.key}" failed at step "${r.failedStep ?? '?'}": ${r.error ?? ''}`).join('; ');
  const message = `${failed.length} of ${total} items of step "${fe.id}" failed: ${what}`;
  const hint = `fix the cause, then \`${commandLine(['resume', run.opts.runId])}\` continues those items only (finished items are not run again)`;
  const operator = [...errors.values()].every((e) => e instanceof NeedsOperator);
  return operator ? new NeedsOperator(message, { hint }) : new StepFailed(message, { hint });
}

export async function runForEach(run: Run, seq: Sequence, fe: ForEachRun, runSequence: RunSequence): Promise<Record<string, unknown>> {
  const { journal } = run.opts;
  const worked = workTimer(run.clock);
  let frozen = frozenOf(fe.prior);
  if (!frozen) {
    try {
      frozen = resolveItems(fe.forEach, seq.scope);
    } catch (err) {
      const message = `step "${fe.id}": ${messageOf(err)}`;
      const hint = `the items come from ${fe.forEach.items}; the runbook's forEach.inputs must fit the inputs of runbook ${fe.forEach.runbook.name}`;
      journal.append({ type: 'step.failed', step: fe.id, error: message, hint });
      seq.screen.failed(message, hint, worked());
      throw new StepFailed(message, { hint });
    }
  }
  await stopUndos.held();
  journal.append({ type: 'step.started', step: fe.id, params: { ...frozen }, plan: {} });
  const shared: Shared = { exclusive: new KeyedMutex(), prompts: new KeyedMutex(), errors: new Map() };
  const fixed = frozen;
  const results = await mapLimit(fixed.keys, fe.forEach.concurrency, (key) => runItem(run, seq, fe, fixed, key, shared, runSequence));
  const failed = results.filter((r) => r.status === 'failed');
  const outputs = { results, finished: results.length - failed.length, failed: failed.length };
  if (failed.length) {
    const err = failure(run, fe, failed, results.length, shared.errors);
    if (err instanceof DingoError) {
      journal.append({ type: 'step.failed', step: fe.id, error: err.message, hint: err.hint });
      seq.screen.failed(err.message, err.hint, worked());
    }
    throw err;
  }
  const durationMs = worked();
  journal.append({ type: 'step.finished', step: fe.id, outputs, durationMs });
  seq.screen.done(`${results.length} item${results.length === 1 ? '' : 's'} finished`, durationMs);
  return outputs;
}
