/**
 * Runs a runbook: asks the inputs, then each step in order, journaling everything.
 * On resume, finished steps are skipped with their recorded outputs; a step that
 * started and never finished runs its probe to decide; before a destructive step
 * runs again, the evidence it relies on is re-checked.
 */
import type { ActionDef } from './action.js';
import type { ActionRegistry, Runbook, StepDef } from './runbook.js';
import { Journal } from './journal.js';
import type { JournalEvent } from './journal-events.js';
import { replay, type RunState, type StepState } from './replay.js';
import type { CellSession, Platform } from '../core/seams.js';
import { recordingRunner, type AdoptableInstance, type StepContext } from './context.js';
import type { Prompter } from './prompts.js';
import { confirmationMatches, describeExpected } from './confirmation.js';
import type { Answers } from './answers.js';
import type { Redactor } from '../core/redact.js';
import type { Reporter } from './reporter.js';
import { headline, type AnswerShown } from './screen-text.js';
import type { Settings } from './settings.js';
import { DingoError, NeedsOperator, StepFailed, UsageError } from '../core/errors.js';
import { resolveValue, type Scope } from './template.js';
import { recordingStore } from './recording-store.js';
import { failpoint } from './failpoints.js';

export interface ExecuteOptions {
  runbook: Runbook;
  actions: ActionRegistry;
  platform: Platform;
  runId: string;
  runDir: string;
  journal: Journal;
  events: JournalEvent[];
  answers: Answers;
  /** Proposed answers (a rehearsal scenario's), offered as defaults when asking on a terminal. */
  suggestions?: Record<string, unknown>;
  /** Instances created by abandoned runs, which this run may adopt. */
  adoptable?: readonly AdoptableInstance[];
  /** Accept every confirmation (the operator said --yes). */
  yes: boolean;
  prompts: Prompter;
  reporter: Reporter;
  redactor: Redactor;
  settings: Settings;
  sleep(ms: number): Promise<void>;
}

export interface ExecuteResult {
  state: RunState;
  outputs: Record<string, Record<string, unknown>>;
}

/** Time the operator spent at prompts: a step's duration is its work, not the operator's thinking. */
interface PromptClock {
  ms: number;
}

/** The prompter, with the screen handed to each prompt (the live line paused) and the time at it counted. */
function timedPrompts(inner: Prompter, reporter: Reporter, clock: PromptClock): Prompter {
  const at = async <T>(ask: () => Promise<T>): Promise<T> => {
    reporter.pause();
    const started = Date.now();
    try {
      return await ask();
    } finally {
      clock.ms += Date.now() - started;
      reporter.resume();
    }
  };
  return {
    interactive: inner.interactive,
    input: (q) => at(() => inner.input(q)),
    typed: (q) => at(() => inner.typed(q)),
    select: (q) => at(() => inner.select(q)),
  };
}

/** A stopwatch of a step's work: time since it started, less the time spent at prompts since. */
function workTimer(clock: PromptClock): () => number {
  const started = Date.now();
  const prompted = clock.ms;
  return () => Math.max(0, Date.now() - started - (clock.ms - prompted));
}

export async function execute(options: ExecuteOptions): Promise<ExecuteResult> {
  const promptClock: PromptClock = { ms: 0 };
  const opts: ExecuteOptions & { promptClock: PromptClock } = {
    ...options,
    prompts: timedPrompts(options.prompts, options.reporter, promptClock),
    promptClock,
  };
  const { runbook, journal, reporter } = opts;
  let state = replay(opts.events);
  const scope: Scope = { inputs: { ...state.inputs }, outputs: {}, run: { id: opts.runId, mode: opts.platform.mode } };
  let currentStep: string | undefined;

  const cells = new Map<string, Promise<CellSession>>();
  const base = {
    platform: opts.platform,
    runId: opts.runId,
    runDir: opts.runDir,
    settings: opts.settings,
    redactor: opts.redactor,
    prompts: opts.prompts,
    answers: opts.answers,
    adoptable: opts.adoptable ?? [],
    cf: recordingRunner(opts.platform.cf, 'cf', journal, reporter, opts.redactor, () => currentStep),
    bosh: recordingRunner(opts.platform.bosh, 'bosh', journal, reporter, opts.redactor, () => currentStep),
    s3: recordingStore(opts.platform.s3, reporter, () => currentStep),
    cell(ip: string): Promise<CellSession> {
      let session = cells.get(ip);
      if (!session) {
        session = opts.platform.cells.open(ip).then((inner) => {
          const rec = recordingRunner(inner, 'cell', journal, reporter, opts.redactor, () => currentStep);
          return { where: inner.where, run: (spec) => rec.run(spec), etcd: (hp: string) => inner.etcd(hp), close: () => inner.close() };
        });
        session.catch(() => cells.delete(ip));
        cells.set(ip, session);
      }
      return session;
    },
    note(text: string): void {
      reporter.note(text);
      journal.append({ type: 'note', step: currentStep, text });
    },
    evidence(text: string): void {
      reporter.evidence(text);
      journal.append({ type: 'note', step: currentStep, text: `evidence: ${text}` });
    },
    progress(text: string): void {
      reporter.progress(text);
    },
    sleep: (ms: number) => opts.sleep(ms),
    now: () => new Date(),
  };

  try {
    await askInputs(opts, scope);
    const total = runbook.steps.length;
    for (const [i, step] of runbook.steps.entries()) {
      currentStep = step.id;
      const ctx: StepContext = { ...base, stepId: step.id };
      state = replay(readBack(opts));
      const prior = state.steps.get(step.id) ?? { status: 'pending', attempts: 0 };
      reporter.stepHeader(i + 1, total, step.title, step.why);
      const action = opts.actions.get(step.action)!;

      try {
        if (prior.status === 'finished') {
          scope.outputs[step.id] = prior.outputs ?? {};
          const earlier = `done earlier: ${outcome(reporter, prior.outputs ?? {})}`;
          if (action.reassert) {
            // Its effect lives in ambient state (the cf target...): re-establish and verify it before any later step.
            const summary = await action.reassert(ctx, prior.params ?? {}, prior.outputs ?? {});
            journal.append({ type: 'ambient.reasserted', step: step.id, summary });
            reporter.skipped(earlier, `re-established: ${summary}`);
          } else reporter.skipped(earlier);
          continue;
        }
        if (prior.status === 'skipped') {
          reporter.skipped('skipped earlier');
          continue;
        }
        if (step.when !== undefined && resolveValue(step.when, scope) !== true) {
          journal.append({ type: 'step.skipped', step: step.id, reason: `${step.when} is not true` });
          reporter.skipped(`skipped: ${step.when} is not true`);
          continue;
        }
        const params = resolveValue(step.with, scope) as Record<string, unknown>;
        for (const [k, spec] of Object.entries(action.params))
          if (params[k] === undefined && spec.default !== undefined) params[k] = spec.default;
        scope.outputs[step.id] = await runStep(opts, ctx, step, action, params, prior, scope);
      } catch (err) {
        reporter.stopped();
        throw err;
      }
      failpoint(`step:${step.id}`);
    }
    journal.append({ type: 'run.finished' });
    return { state: replay(readBack(opts)), outputs: scope.outputs };
  } finally {
    for (const s of cells.values()) await s.then((c) => c.close()).catch(() => undefined);
  }
}

/** Re-reads the journal's events so far (the executor itself appended to it). */
function readBack(opts: ExecuteOptions): JournalEvent[] {
  return opts.journal.events();
}

/**
 * An answers file given to a resume may not change an input a finished step consumed: the platform
 * already holds what that step did with the old value. An input no finished step used yet may change.
 */
function checkChangedInputs(opts: ExecuteOptions, scope: Scope): void {
  const state = replay(readBack(opts));
  for (const input of opts.runbook.inputs) {
    if (!(input.name in state.inputs) || !(input.name in opts.answers.inputs)) continue;
    const was = state.inputs[input.name];
    const now = normaliseInput(input.type, opts.answers.inputs[input.name]);
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const ref = new RegExp(`\\$\\{inputs\\.${input.name}\\}`);
    const consumer = opts.runbook.steps.find(
      (st) => state.steps.get(st.id)?.status === 'finished' && ref.test(JSON.stringify([st.with, st.confirm ?? null])),
    );
    if (consumer) {
      throw new UsageError(
        `input "${input.name}" was ${JSON.stringify(was)} when step "${consumer.id}" ran; the answers file now says ${JSON.stringify(now)}`,
        {
          hint: `an input a finished step used cannot change within a run: put back inputs.${input.name}: ${JSON.stringify(was)} to resume, or end this run (dingo-recover abandon ${opts.runId} --reason TEXT) and start a new one`,
        },
      );
    }
    const problem = checkInput(input, now);
    if (problem !== true)
      throw new UsageError(`input "${input.name}": ${problem}`, { hint: `correct inputs.${input.name} in the answers file` });
    scope.inputs[input.name] = now;
    opts.journal.append({ type: 'input', name: input.name, value: now, source: 'answers' });
    opts.reporter.notice(`${input.prompt}: changed to ${JSON.stringify(now)} (no finished step had used it)`);
  }
}

async function askInputs(opts: ExecuteOptions, scope: Scope): Promise<void> {
  checkChangedInputs(opts, scope);
  const missing = opts.runbook.inputs.filter((i) => !(i.name in scope.inputs));
  if (missing.length === 0) return;
  const given: AnswerShown[] = [];
  try {
    await askEach(opts, scope, missing, given);
  } finally {
    opts.reporter.answers(given);
  }
}

async function askEach(
  opts: ExecuteOptions,
  scope: Scope,
  missing: ExecuteOptions['runbook']['inputs'],
  given: AnswerShown[],
): Promise<void> {
  for (const input of missing) {
    let value: unknown;
    let source: 'prompt' | 'answers' | 'default';
    if (input.name in opts.answers.inputs) {
      value = normaliseInput(input.type, opts.answers.inputs[input.name]);
      source = 'answers';
    } else if (!opts.prompts.interactive && input.default !== undefined) {
      value = input.default;
      source = 'default';
    } else {
      const proposed = opts.suggestions?.[input.name] ?? input.default;
      const text = await opts.prompts.input({
        key: input.name,
        message: input.prompt,
        default:
          proposed === undefined
            ? undefined
            : Array.isArray(proposed)
              ? proposed.join(', ')
              : typeof proposed === 'string'
                ? proposed
                : JSON.stringify(proposed),
        validate: (v) => checkInput(input, normaliseInput(input.type, v)),
      });
      value = normaliseInput(input.type, text);
      source = 'prompt';
    }
    const problem = checkInput(input, value);
    if (problem !== true)
      throw new UsageError(`input "${input.name}": ${problem}`, { hint: `correct inputs.${input.name} in the answers file` });
    scope.inputs[input.name] = value;
    opts.journal.append({ type: 'input', name: input.name, value, source });
    given.push({ name: input.name, prompt: input.prompt, value, source });
  }
}

function normaliseInput(type: string, value: unknown): unknown {
  if (type === 'string[]') {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return value.split(/[,\s]+/).filter(Boolean);
  }
  if (type === 'boolean' && typeof value === 'string') return /^(y|yes|true|1)$/i.test(value.trim());
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  return typeof value === 'string' ? value.trim() : value;
}

function checkInput(input: { type: string; pattern?: string }, value: unknown): string | true {
  if (input.type === 'string') {
    if (typeof value !== 'string' || !value) return 'an answer is needed';
    if (input.pattern && !new RegExp(input.pattern).test(value)) return `"${value}" does not match ${input.pattern}`;
  }
  if (input.type === 'string[]') {
    if (!Array.isArray(value)) return 'a list is needed';
    if (input.pattern) {
      const bad = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).find((v) => !new RegExp(input.pattern!).test(v));
      if (bad !== undefined) return `"${bad}" does not match ${input.pattern}`;
    }
  }
  if (input.type === 'boolean' && typeof value !== 'boolean') return 'yes or no';
  return true;
}

/** A step's outputs as its status line shows them: all of them when verbose, else the result that matters. */
function outcome(reporter: Reporter, outputs: Record<string, unknown>): string {
  return reporter.verbose ? describeOutputs(outputs) : headline(outputs);
}

function describeOutputs(outputs: Record<string, unknown>): string {
  const parts = Object.entries(outputs)
    .filter(([, v]) => v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  const text = parts.join(' ');
  return text.length > 160 ? text.slice(0, 160) + '…' : text || 'no outputs';
}

async function runStep(
  opts: ExecuteOptions & { promptClock: PromptClock },
  ctx: StepContext,
  step: StepDef,
  action: ActionDef,
  params: Record<string, unknown>,
  prior: StepState,
  scope: Scope,
): Promise<Record<string, unknown>> {
  const { journal, reporter } = opts;
  const worked = workTimer(opts.promptClock);
  let plan: Record<string, unknown> | undefined;

  if (prior.status === 'started' || prior.status === 'failed') {
    // Interrupted or failed earlier: find out what actually happened before doing anything again.
    plan = prior.plan ?? {};
    const samePlanParams = prior.params ?? params;
    if (action.effect !== 'read' || action.probe) {
      const probe = action.probe
        ? await action.probe(ctx, samePlanParams, plan)
        : action.safeToRepeat !== undefined
          ? ({ done: false, why: `safe to run again: ${action.safeToRepeat}` } as const)
          : ({ done: 'unknown', why: 'this step changes the platform and has no way to tell whether it already did' } as const);
      journal.append({
        type: 'step.probed',
        step: step.id,
        result: probe.done === true ? 'done' : probe.done === false ? 'not-done' : 'unknown',
        why: probe.why,
      });
      if (probe.done === true) {
        const durationMs = worked();
        journal.append({ type: 'step.finished', step: step.id, outputs: probe.outputs, durationMs });
        reporter.done(`already done (${probe.why})`, durationMs);
        return probe.outputs;
      }
      if (probe.done === 'unknown') {
        throw new NeedsOperator(`step "${step.id}" was interrupted and its outcome is unknown: ${probe.why}`, {
          hint: 'check the platform by hand, then resume; dingo-recover will not repeat a destructive action blindly',
        });
      }
      reporter.notice(`resuming an interrupted attempt: ${probe.why}`);
    }
    params = samePlanParams;
  }

  if (action.effect === 'destructive' || step.confirm) {
    await confirm(opts, ctx, step, action, params, prior, scope);
  }

  if (plan === undefined) plan = action.prepare ? await action.prepare(ctx, params) : {};
  journal.append({ type: 'step.started', step: step.id, params, plan });
  try {
    const outputs = await action.run(ctx, params, plan);
    const durationMs = worked();
    journal.append({ type: 'step.finished', step: step.id, outputs, durationMs });
    reporter.done(outcome(reporter, outputs), durationMs);
    return outputs;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof DingoError ? err.hint : undefined;
    journal.append({ type: 'step.failed', step: step.id, error: message, hint });
    reporter.failed(message, hint, worked());
    if (err instanceof DingoError) throw err;
    throw new StepFailed(`step "${step.id}" failed: ${message}`, {
      hint: 'fix the cause, then `dingo-recover resume` continues from this step',
      cause: err,
    });
  }
}

async function confirm(
  opts: ExecuteOptions,
  ctx: StepContext,
  step: StepDef,
  action: ActionDef,
  params: Record<string, unknown>,
  prior: StepState,
  scope: Scope,
): Promise<void> {
  const { journal, reporter } = opts;
  const facts = action.evidence ? await action.evidence(ctx, params) : {};
  reporter.confirmation(facts);
  if (prior.confirmed) {
    // Confirmed before an interruption: only go on if the facts it was confirmed on still hold.
    const stable = action.stableEvidence;
    const drift = Object.entries(prior.confirmed.evidence).filter(
      ([k, v]) => (!stable || stable.includes(k)) && facts[k] !== undefined && facts[k] !== v,
    );
    if (drift.length) {
      throw new StepFailed(
        `the evidence step "${step.id}" was confirmed on has changed: ${drift.map(([k, v]) => `${k} was ${v}, now ${facts[k]}`).join('; ')}`,
        { hint: 'someone or something changed the platform since; check what happened before going on' },
      );
    }
    reporter.confirmedBy(
      `evidence re-checked: unchanged since ${prior.confirmed.method === 'typed' ? 'it was confirmed' : 'it was accepted'}`,
    );
    return;
  }
  journal.append({ type: 'evidence', step: step.id, facts });
  const expected = String(resolveValue(step.confirm!.typed, scope));
  const alsoAccept = step.confirm!.alsoAccept === undefined ? undefined : String(resolveValue(step.confirm!.alsoAccept, scope));
  const accepted = describeExpected(expected) + (alsoAccept ? ` or "${alsoAccept}"` : '');
  const message = `${String(resolveValue(step.confirm!.message, scope))} — type ${accepted} to confirm`;
  const fromFile = opts.answers.confirm[step.id];
  if (fromFile !== undefined) {
    if (fromFile !== true && !confirmationMatches(fromFile, expected, alsoAccept)) {
      throw new UsageError(`answers file: confirm.${step.id} is "${fromFile}", but this step acts on ${accepted}`, {
        hint: 'the answers file was written for another run or instance; correct it and resume',
      });
    }
    journal.append({
      type: 'confirm',
      step: step.id,
      method: 'answers',
      typed: fromFile === true ? undefined : fromFile,
      expected,
      evidence: facts,
    });
    reporter.confirmedBy('confirmed by the answers file');
    return;
  }
  if (opts.yes) {
    journal.append({ type: 'confirm', step: step.id, method: '--yes', expected, evidence: facts });
    reporter.confirmedBy('confirmed by --yes');
    return;
  }
  const typed = await opts.prompts.typed({ key: step.id, message, expected, alsoAccept });
  journal.append({ type: 'confirm', step: step.id, method: 'typed', typed, expected, evidence: facts });
  reporter.confirmedBy('confirmed by typing', true);
}
