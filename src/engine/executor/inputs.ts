/** The run's inputs: asked, or taken from the answers file or defaults, normalised and checked, and journaled. */
import { commandLine } from '../../core/command-line.js';
import type { AnswerShown } from '../operator/screen-text.js';
import type { ExecuteOptions } from './options.js';
import { wholeInputRef, type Scope } from '../runbook/template.js';
import { UsageError } from '../../core/errors.js';
import { isRecord } from '../../core/json.js';
import type { StepDef } from '../runbook/runbook.js';
import type { InputDef } from '../runbook/runbook-model.js';
import { failedStep, inputsOf } from './input-corrections.js';

/**
 * An answers file given to a resume may not change an input a finished step consumed: the platform
 * already holds what that step did with the old value. An input no finished step used yet may change.
 */
function checkChangedInputs(opts: ExecuteOptions, scope: Scope): Set<string> {
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
async function askFailedAgain(opts: ExecuteOptions, scope: Scope, changed: Set<string>): Promise<void> {
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

export async function askInputs(opts: ExecuteOptions, scope: Scope): Promise<void> {
  await askFailedAgain(opts, scope, checkChangedInputs(opts, scope));
  const missing = opts.runbook.inputs.filter((i) => !(i.name in scope.inputs));
  if (missing.length === 0) return;
  const given: AnswerShown[] = [];
  try {
    await askEach(opts, scope, missing, given);
  } finally {
    opts.reporter.answers(given);
  }
}

/**
 * The inputs a confirmation typed only reads (`confirm.typedInput`): the text given where no terminal
 * asks. At a terminal they are never asked before the run: the step asks for the text itself, once it
 * has something to show.
 */
function typedOnlyInputs(runbook: ExecuteOptions['runbook']): Set<string> {
  return new Set(runbook.steps.flatMap((s) => wholeInputRef(s.confirm?.typedInput ?? '') ?? []));
}

async function askEach(
  opts: ExecuteOptions,
  scope: Scope,
  missing: ExecuteOptions['runbook']['inputs'],
  given: AnswerShown[],
): Promise<void> {
  const typedOnly = typedOnlyInputs(opts.runbook);
  for (const input of missing) {
    let value: unknown;
    let source: 'prompt' | 'answers' | 'default';
    if (input.name in opts.answers.inputs) {
      value = normaliseInput(input.type, opts.answers.inputs[input.name]);
      source = 'answers';
    } else if ((!opts.prompts.interactive || typedOnly.has(input.name) || !applies(input, scope.inputs)) && input.default !== undefined) {
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
    // An answer that cannot matter (not asked, its default taken) is not shown among the user's.
    if (source !== 'default' || applies(input, scope.inputs)) given.push({ name: input.name, prompt: input.prompt, value, source });
  }
}

/** Whether the input's answer can matter, given the earlier answers (`askedWhen`, `askedUnless`). */
function applies(input: InputDef, answers: Record<string, unknown>): boolean {
  const all = (when: Record<string, unknown>): boolean =>
    Object.entries(when).every(([name, v]) => JSON.stringify(answers[name]) === JSON.stringify(v));
  return (!input.askedWhen || all(input.askedWhen)) && (!input.askedUnless || !all(input.askedUnless));
}

export function normaliseInput(type: string, value: unknown): unknown {
  if (type === 'string[]') {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return value.split(/[,\s]+/).filter(Boolean);
  }
  if (type === 'boolean' && typeof value === 'string') {
    // Only the words YAML and operators use for yes and no; anything else stays text and is refused.
    const word = value.trim().toLowerCase();
    if (YES.includes(word)) return true;
    if (NO.includes(word)) return false;
  }
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  return typeof value === 'string' ? value.trim() : value;
}

const YES = ['y', 'yes', 'true'];
const NO = ['n', 'no', 'false'];

/** What an answer to the input must be, in words. */
export function describeInputType(input: { type: string; pattern?: string }): string {
  if (input.type === 'boolean') return 'yes or no (true/false, yes/no, y/n)';
  if (input.type === 'object[]') return 'a list of records';
  const text = input.pattern ? `text matching ${input.pattern}` : 'text';
  return input.type === 'string[]' ? `a list of ${text} (or one text of comma-separated values)` : text;
}

export function checkInput(input: { type: string; pattern?: string; default?: unknown }, value: unknown): string | true {
  if (input.type === 'string') {
    // An input whose default is empty text may be left empty ("none"); any other needs an answer.
    if (value === '' && input.default === '') return true;
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
  if (input.type === 'object[]' && !(Array.isArray(value) && value.every(isRecord)))
    return 'a list of records is needed (bound by a use step to a step output, or given in the answers file)';
  if (input.type === 'boolean' && typeof value !== 'boolean')
    return typeof value === 'string' ? `"${value}" is not yes or no (answer yes, no, y, n, true or false)` : 'yes or no';
  return true;
}
