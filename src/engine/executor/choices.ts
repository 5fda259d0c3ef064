/**
 * The choices a step's action asks the operator (`choose:` in the runbook), decided here and nowhere
 * else: the value the answers file or the command line gives (one value, one source: the two are
 * reconciled before the run starts, given-choices.ts), else a question at a terminal, else the run waits
 * for the operator with the runbook's hint and the lines that give the answer. The decision is journaled
 * with who made it; the action reads it and never asks itself.
 */
import { commandLine } from '../../core/command-line.js';
import { NeedsOperator, UsageError } from '../../core/errors.js';
import type { Journal } from '../journal/journal.js';
import type { Prompter } from '../operator/prompts.js';
import type { ChoiceDef } from '../runbook/choice-def.js';
import { CHOICE_SETTINGS } from '../runbook/settings.js';

/** A value given for a choice before the run, and where it was given (`choose.KEY in the answers file F`, `--deleted-instance`). */
export interface GivenChoice {
  value: string;
  by: string;
}

/** What the operator gave for the run's choices, and where an answer may be added when none is. */
export interface ChoiceSources {
  given: Readonly<Record<string, GivenChoice>>;
  /** The operator's own answers file; undefined when there is none (or it is a rehearsal scenario's, not theirs to edit). */
  answersFile?: string;
}

/** One choice as the action asks it. */
interface ChoiceQuestion {
  key: string;
  /** The question at a terminal. */
  message: string;
  /** Why the run waits when no terminal asks (else the question). */
  stop?: string;
  /** The values chosen among (a list at a terminal, each with its description); without them, text is typed. */
  options?: readonly { value: string; name: string }[];
  /** Why a value (given or typed) cannot be taken, or true. */
  check?: (value: string) => string | true;
  /** The value a given one stands for, when it is written otherwise (a GUID's case, a list naming several). */
  read?: (given: string) => string;
  /** At a terminal: the text proposed (Enter takes it). */
  default?: string;
  /** A value to show in the lines that give the choice without a terminal (else the only candidate, or VALUE). */
  example?: string;
  /** The value the step's own parameters give (a runbook input), which counts as given: another source must agree. */
  param?: GivenChoice;
  /** What stands when nothing gives the choice and no terminal asks; undefined: the run waits for the operator. */
  unattended?: string;
}

/** The decided value, and who decided it: an answers file, a flag, the runbook's input, the operator at the prompt, or nobody (kept). */
interface Decided {
  value: string;
  by: string;
  /** True when it came from what was given before the step (not typed or kept now). */
  given: boolean;
}

export interface ChoiceAsker {
  /** The value given for `key` before the step asked (the answers file, the command line), if any. */
  given(key: string): GivenChoice | undefined;
  choose(q: ChoiceQuestion): Promise<Decided>;
}

interface AskerContext {
  runId: string;
  stepId: string;
  declared: readonly ChoiceDef[];
  sources: ChoiceSources;
  prompts: Prompter;
  journal: Journal;
}

/** How to give the choice where no terminal asks: the answers file's key, and the flag when one stands for it. */
function howToGive(c: AskerContext, key: string, example: string): string {
  const resume = (...more: string[]): string => `\`${commandLine(['resume', c.runId, ...more])}\``;
  const file = c.sources.answersFile
    ? `add choose.${key}: ${example} to ${c.sources.answersFile}, then continue with ${resume()}`
    : `give it in an answers file of your own (choose: {${key}: ${example}}) and continue with ${resume('--answers', 'FILE')}`;
  const twin = Object.entries(CHOICE_SETTINGS).find(([k]) => k === key)?.[1];
  return twin ? `${file}, or continue with ${resume(twin.flag, example)}` : file;
}

export function choiceAsker(c: AskerContext): ChoiceAsker {
  const declaredOf = (key: string): ChoiceDef => {
    const d = c.declared.find((x) => x.key === key);
    // The loader refuses a step that leaves a choice of its action undeclared: this is a bug in the action.
    if (!d) throw new Error(`step ${c.stepId} asks choice "${key}", which its runbook step does not declare`);
    return d;
  };
  const record = (key: string, d: Decided): Decided => {
    c.journal.append({ type: 'choice', step: c.stepId, key, value: d.value, by: d.by });
    return d;
  };
  return {
    given: (key) => c.sources.given[key],
    async choose(q) {
      const d = declaredOf(q.key);
      const given = givenValue(q, c.sources.given[q.key]);
      if (given) return record(q.key, { ...taken(q, given, d), given: true });
      if (c.prompts.interactive)
        return record(q.key, { value: await ask(c.prompts, q, d), by: 'the operator (at the prompt)', given: false });
      if (q.unattended !== undefined) return record(q.key, { value: q.unattended, by: 'nobody (no terminal): kept', given: false });
      const values = optionsOf(q, d).map((o) => o.value);
      const among = values.length ? `one of ${values.join(', ')} (${d.candidates})` : d.candidates;
      const example = q.example ?? (values.length === 1 ? values[0]! : 'VALUE');
      throw new NeedsOperator(q.stop ?? `${q.message}: nothing chose it, and no terminal to ask on`, {
        hint: `choose ${among}: ${d.hint}; ${howToGive(c, q.key, example)}; --yes never chooses`,
      });
    },
  };
}

/** The value given for the choice: the step's parameter or what the operator gave, which must agree when both are there. */
function givenValue(q: ChoiceQuestion, given: GivenChoice | undefined): GivenChoice | undefined {
  const param = q.param?.value.trim() ? q.param : undefined;
  if (param && given && param.value.trim() !== given.value.trim()) {
    throw new UsageError(`${param.by} is "${param.value}", but ${given.by} is "${given.value}": one value, given twice, disagrees`, {
      hint: `keep one of them (drop the other), then resume`,
    });
  }
  return param ?? given;
}

/** A given value, checked against the candidates and the action's check; refused naming where it was given. */
function taken(q: ChoiceQuestion, given: GivenChoice, d: ChoiceDef): { value: string; by: string } {
  const value = q.read ? q.read(given.value) : given.value.trim();
  const allowed = optionsOf(q, d).map((o) => o.value);
  const checked = q.check?.(value) ?? true;
  const problem = checked !== true ? checked : allowed.length && !allowed.includes(value) ? `it is not one of ${allowed.join(', ')}` : true;
  if (problem !== true) {
    throw new UsageError(`${given.by} chooses "${given.value}" for ${q.key}, but ${problem}`, {
      hint: `${d.hint}; correct it where it was given (${given.by}), then resume`,
    });
  }
  return { value, by: given.by };
}

/** The values the choice is made among: the action's candidates, else the values the action declares, else none (text). */
function optionsOf(q: ChoiceQuestion, d: ChoiceDef): readonly { value: string; name: string }[] {
  return q.options ?? d.values?.map((v) => ({ value: v, name: v })) ?? [];
}

async function ask(prompts: Prompter, q: ChoiceQuestion, d: ChoiceDef): Promise<string> {
  const options = optionsOf(q, d);
  if (options.length) return prompts.select({ key: q.key, message: q.message, choices: options.map((o) => ({ ...o })) });
  return (await prompts.input({ key: q.key, message: q.message, default: q.default, validate: q.check })).trim();
}
