/** The run's inputs: asked, or taken from the answers file or defaults, checked and journaled (a resume's changes first). */
import type { AnswerShown } from '../operator/answers-shown.js';
import type { ExecuteOptions } from './options.js';
import { wholeInputRef, type Scope } from '../runbook/template.js';
import { UsageError } from '../../core/errors.js';
import type { InputDef } from '../runbook/runbook-model.js';
import { askFailedAgain, checkChangedInputs } from './input-changes.js';
import { checkInput, normaliseInput } from './input-values.js';

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
