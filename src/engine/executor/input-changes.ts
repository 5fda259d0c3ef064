/**
 * The inputs of a resumed run: an answers file may change one no finished step has used yet, and at
 * a terminal a failed step's questions are asked again; each change is journaled with what it replaced.
 */
import { commandLine } from '../../core/command-line.js';
import { UsageError } from '../../core/errors.js';
import type { StepDef } from '../runbook/runbook.js';
import type { Scope } from '../runbook/template.js';
import { failedStep, inputsOf } from './input-corrections.js';
import { checkInput, normaliseInput } from './input-values.js';
import type { ExecuteOptions } from './options.js';

/**
 * An answers file given to a resume may not change an input a finished step consumed: the platform
 * already holds what that step did with the old value. An input no finished step used yet may change.
 */
export function checkChangedInputs(opts: ExecuteOptions, scope: Scope): Set<string> {
  const changed = new Set<string>();
  const state = opts.journal.state();
  for (const input of opts.runbook.inputs) {
    if (!(input.name in state.inputs) || !(input.name in opts.answers.inputs)) continue;
    const was = state.inputs[input.name];
    const now = normaliseInput(input.type, opts.answers.inputs[input.name]);
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const consumer = finishedConsumer(opts, input.name);
    if (consumer) {
      throw new UsageError(
        `input "${input.name}" was ${JSON.stringify(was)} when step "${consumer.id}" ran; the answers file now says ${JSON.stringify(now)}`,
        {
          hint: `an input a finished step used cannot change within a run: put back inputs.${input.name}: ${JSON.stringify(was)} to resume, or end this run (${commandLine(['abandon', opts.runId])} --reason TEXT) and start a new one`,
        },
      );
    }
    const problem = checkInput(input, now);
    if (problem !== true)
      throw new UsageError(`input "${input.name}": ${problem}`, { hint: `correct inputs.${input.name} in the answers file` });
    scope.inputs[input.name] = now;
    const source = opts.corrected?.includes(input.name) ? 'set' : 'answers';
    opts.journal.append({ type: 'input', name: input.name, value: now, source, was });
    opts.reporter.notice(`${input.prompt}: changed from ${JSON.stringify(was)} to ${JSON.stringify(now)} (no finished step had used it)`);
    changed.add(input.name);
  }
  return changed;
}

/** The finished step that used the input, if any: its answer can no longer change within the run. */
function finishedConsumer(opts: ExecuteOptions, name: string): StepDef | undefined {
  const steps = opts.journal.state().steps;
  return opts.runbook.steps.find((st) => steps.get(st.id)?.status === 'finished' && inputsOf(opts.runbook, st).includes(name));
}

/**
 * At a terminal, a resume of a run stopped at a failed step asks that step's questions again, the
 * old answers as defaults (Enter keeps one); a changed answer is journaled as a correction.
 */
export async function askFailedAgain(opts: ExecuteOptions, scope: Scope, changed: Set<string>): Promise<void> {
  if (!opts.prompts.interactive) return;
  const state = opts.journal.state();
  const step = failedStep(opts.runbook, state);
  if (!step) return;
  for (const name of inputsOf(opts.runbook, step)) {
    const input = opts.runbook.inputs.find((i) => i.name === name)!;
    if (changed.has(name) || !(name in state.inputs) || finishedConsumer(opts, name)) continue;
    const was = state.inputs[name];
    const text = await opts.prompts.input({
      key: name,
      message: `${input.prompt} (step "${step.id}" failed with this answer; Enter keeps it)`,
      default: Array.isArray(was) ? was.join(', ') : typeof was === 'string' ? was : JSON.stringify(was),
      validate: (v) => checkInput(input, normaliseInput(input.type, v)),
    });
    const now = normaliseInput(input.type, text);
    if (JSON.stringify(now) === JSON.stringify(was)) continue;
    scope.inputs[name] = now;
    opts.journal.append({ type: 'input', name, value: now, source: 'prompt', was });
    opts.reporter.notice(`${input.prompt}: corrected from ${JSON.stringify(was)} to ${JSON.stringify(now)}`);
  }
}
