/**
 * Runs one action step: after an interruption its probe decides first (done, safe to run again, or
 * a question for the operator), a confirmation when it needs one, then the action, journaling each.
 */
import { commandLine } from '../../core/command-line.js';
import { confirm } from './confirm.js';
import type { Run, Sequence, StepRun } from './options.js';
import { workTimer } from './prompts.js';
import { headline, shortValue } from '../operator/screen-text.js';
import type { ActionDef } from '../runbook/action.js';
import type { StepScreen } from '../operator/step-screen.js';
import { DingoError, NeedsOperator, StepFailed } from '../../core/errors.js';
import { stopUndos } from '../../core/stop-undo.js';
import { afterProbe, resumeTraits, type ProbeAnswer } from './resume-decision.js';

/**
 * A step's outputs as its status line shows them: all of them when verbose, else its result in the
 * action's words (`result`), else the outputs that matter.
 */
export function outcome(screen: StepScreen, outputs: Record<string, unknown>, action?: ActionDef): string {
  if (screen.verbose) return describeOutputs(outputs);
  return action?.result?.(outputs) ?? headline(outputs);
}

function describeOutputs(outputs: Record<string, unknown>): string {
  const parts = Object.entries(outputs)
    .filter(([, v]) => v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
    .map(([k, v]) => `${k}=${shortValue(v)}`);
  const text = parts.join(' ');
  return text.length > 160 ? text.slice(0, 160) + '…' : text || 'done';
}

type Probed =
  { done: true; outputs: Record<string, unknown> } | { done: false; params: Record<string, unknown>; plan: Record<string, unknown> };

/** The probe's answer and why; an action without a probe answers 'none'. */
async function ask(
  s: StepRun,
  params: Record<string, unknown>,
  plan: Record<string, unknown>,
): Promise<{ answer: ProbeAnswer; why: string; outputs?: Record<string, unknown> }> {
  const { action } = s;
  if (!action.probe) {
    const why =
      action.safeToRepeat !== undefined
        ? `safe to run again: ${action.safeToRepeat}`
        : 'this step changes the platform and has no way to tell whether it already did';
    return { answer: 'none', why };
  }
  const probe = await action.probe(s.ctx, params, plan);
  if (probe.done === true) return { answer: 'done', why: probe.why, outputs: probe.outputs };
  return { answer: probe.done === false ? 'not-done' : 'unknown', why: probe.why };
}

/** An interrupted or failed attempt: finds out what actually happened before anything is done again. */
async function probeEarlier(run: Run, seq: Sequence, s: StepRun, params: Record<string, unknown>, worked: () => number): Promise<Probed> {
  const { journal } = run.opts;
  const { prior, id } = s;
  const plan = prior.plan ?? {};
  const samePlanParams = prior.params ?? params;
  const { answer, why, outputs } = await ask(s, samePlanParams, plan);
  const next = afterProbe(answer, resumeTraits(s.action)!);
  // The journal records what was found: a step without a probe is 'not-done' when safe to repeat, else 'unknown'.
  const result = answer !== 'none' ? answer : next.do === 'run-again' ? 'not-done' : 'unknown';
  journal.append({ type: 'step.probed', step: id, result, why });
  if (next.do === 'finish') {
    const durationMs = worked();
    journal.append({ type: 'step.finished', step: id, outputs: outputs ?? {}, durationMs });
    seq.screen.done(`already done (${why})`, durationMs);
    return { done: true, outputs: outputs ?? {} };
  }
  if (next.do === 'stop') {
    throw new NeedsOperator(`step "${id}" was interrupted and its outcome is unknown: ${why}`, {
      hint: 'check the platform by hand, then resume; dingo-recover will not repeat a destructive action blindly',
    });
  }
  seq.screen.notice(`resuming an interrupted attempt: ${why}`);
  return { done: false, params: samePlanParams, plan };
}

export async function runStep(run: Run, seq: Sequence, s: StepRun, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { journal } = run.opts;
  const { action, step, id, ctx } = s;
  const worked = workTimer(run.clock);
  let plan: Record<string, unknown> | undefined;
  // A signal stopped the session, which removes what it made before it exits: no step starts meanwhile.
  await stopUndos.held();

  // An earlier attempt that may have acted is probed first (resume-decision.ts); a read step without
  // a probe simply runs again, with its parameters as they resolve now.
  if (s.decision === 'probe') {
    const probed = await probeEarlier(run, seq, s, params, worked);
    if (probed.done) return probed.outputs;
    ({ params, plan } = probed);
  }
  if (action.effect === 'destructive' || step.confirm) await confirm(run, seq, s, params);

  plan ??= action.prepare ? await action.prepare(ctx, params) : {};
  await stopUndos.held();
  journal.append({ type: 'step.started', step: id, params, plan });
  try {
    const outputs = await action.run(ctx, params, plan);
    const durationMs = worked();
    const warnings = [...ctx.warnings];
    journal.append({ type: 'step.finished', step: id, outputs, durationMs, ...(warnings.length ? { warnings } : {}) });
    if (warnings.length) seq.screen.warned(warnings, durationMs);
    else seq.screen.done(outcome(seq.screen, outputs, action), durationMs);
    return outputs;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof DingoError ? err.hint : undefined;
    journal.append({ type: 'step.failed', step: id, error: message, hint });
    if (err instanceof NeedsOperator) seq.screen.waiting(message, worked());
    else seq.screen.failed(message, hint, worked());
    if (err instanceof DingoError) throw err;
    throw new StepFailed(`step "${id}" failed: ${message}`, {
      hint: `fix the cause, then \`${commandLine(['resume', run.opts.runId])}\` continues from this step`,
      cause: err,
    });
  }
}
