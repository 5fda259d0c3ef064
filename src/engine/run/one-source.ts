/**
 * One value, one source. A value the operator gives on the command line (`--deleted-instance`, a
 * target's flags, `resume --set`) and the same value in the answers file, or decided earlier in the
 * journal, must agree: when they do not, the run stops before anything runs, naming both and which to
 * drop; it never takes one silently over the other. What agrees is taken once, and the choices given
 * are handed to the steps (executor/choices.ts) with where each came from.
 */
import { commandLine } from '../../core/command-line.js';
import { UsageError } from '../../core/errors.js';
import { answerAt, type Answers } from '../operator/answers.js';
import type { RunState } from '../journal/replay.js';
import type { ChoiceSources, GivenChoice } from '../executor/choices.js';
import { inputsOf } from '../executor/input-corrections.js';
import { checkInput, describeInputType, normaliseInput } from '../executor/input-values.js';
import type { Runbook } from '../runbook/runbook-model.js';
import { CHOICE_SETTINGS, type Settings } from '../runbook/settings.js';

export interface GivenValues {
  runId: string;
  runbook: Runbook;
  /** The answers file read, and whether the operator gave it (a rehearsal's scenario's is not theirs to edit). */
  answersFile?: string;
  operatorsFile: boolean;
  /** The answers file's own answers (before --set or a command's inputs). */
  answers: Answers;
  /** The run's settings: journaled, with this command line's over them. */
  settings: Settings;
  /** Inputs a command's flags give a new run (recover --target-time), and the flag each comes from. */
  givenInputs?: Record<string, unknown>;
  inputFlags?: Readonly<Record<string, string>>;
  /** `resume --set key=VALUE`. */
  corrections: Readonly<Record<string, string>>;
  /** The journal's state, on a resume. */
  state?: RunState;
}

const text = (v: unknown): string => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v));
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The answers file, at the line of `path` (`choose.KEY`, `inputs.NAME`) when it is known. */
function inFileAt(g: Pick<GivenValues, 'answers' | 'answersFile'>, path: string): string {
  return answerAt(g.answersFile ?? 'the answers file', g.answers, path);
}

/** Where to take the command line's value instead of the file's: drop it from the file, or give a file of one's own. */
function dropFromFile(g: Pick<GivenValues, 'answersFile' | 'operatorsFile'>, key: string): string {
  return g.operatorsFile
    ? `drop ${key} from ${g.answersFile}`
    : `give an answers file of your own without ${key} (--answers FILE; the scenario's ${g.answersFile} is the package's)`;
}

/** What gives a run's choices before it starts: the answers file and the command line's flags. */
type ChoiceGivers = Pick<GivenValues, 'answers' | 'answersFile' | 'operatorsFile'> & { settings: Partial<Settings> };

/** The choices the answers file and the command line give, each once, with where it was given; a disagreement refused. */
export function choicesGiven(g: ChoiceGivers): Record<string, GivenChoice> {
  const given: Record<string, GivenChoice> = {};
  for (const [key, value] of Object.entries(g.answers.choose)) given[key] = { value, by: `choose.${key} in the answers file` };
  for (const [key, { setting, flag }] of Object.entries(CHOICE_SETTINGS)) {
    const value = g.settings[setting];
    if (value === undefined) continue;
    const inFile = given[key];
    if (inFile && !sameChoice(inFile.value, value)) {
      throw new UsageError(
        `${flag} ${value} and choose.${key}: ${inFile.value} in the answers file ${inFileAt(g, `choose.${key}`)} disagree: one value, given twice`,
        { hint: `keep one: drop ${flag} to take the answers file's, or ${dropFromFile(g, `choose.${key}`)} to take ${flag}'s` },
      );
    }
    given[key] ??= { value, by: flag };
  }
  return given;
}

/** The choices given before the run (choicesGiven), which must also agree with what the journal decided. */
export function givenChoices(g: GivenValues): ChoiceSources {
  const given = choicesGiven(g);
  checkDecided(g, given);
  return { given, ...(g.operatorsFile && g.answersFile ? { answersFile: g.answersFile } : {}) };
}

/** Whether a given value names what was decided: the same text (a GUID in any case), or a list (GUIDs separated by commas) holding it. */
function sameChoice(given: string, decided: string): boolean {
  const norm = (v: string): string => v.trim().toLowerCase();
  return norm(given) === norm(decided) || given.split(',').map(norm).includes(norm(decided));
}

/** A choice a finished step made cannot change within the run: the platform already holds what it did with it. */
function checkDecided(g: GivenValues, given: Record<string, GivenChoice>): void {
  for (const [step, s] of g.state?.steps ?? []) {
    if (s.status !== 'finished') continue;
    for (const [key, decided] of Object.entries(s.choices ?? {})) {
      const now = given[key];
      if (!now || sameChoice(now.value, decided.value)) continue;
      throw new UsageError(
        `${now.by} is ${now.value}, but step "${step}" of run ${g.runId} chose ${decided.value} (by ${decided.by}) and finished`,
        {
          hint: `a choice a finished step made cannot change within a run: drop ${now.by} to resume, or end this run (${commandLine(['abandon', g.runId])} --reason TEXT) and start a new one`,
        },
      );
    }
  }
}

/** A command's inputs (a target's flags) and the answers file's, which must agree where both give one. */
export function checkGivenInputs(g: GivenValues): void {
  const flags = g.inputFlags ?? {};
  const given = Object.entries(g.givenInputs ?? {});
  const named = given
    .filter(([name, v]) => v !== '' && v !== false && flags[name])
    .map(([name, v]) => `${flags[name]}${v === true ? '' : ` ${text(v)}`}`);
  for (const [name, value] of given) {
    const input = g.runbook.inputs.find((i) => i.name === name);
    if (!input || !(name in g.answers.inputs)) continue;
    const inFile = normaliseInput(input.type, g.answers.inputs[name]);
    if (same(inFile, normaliseInput(input.type, value))) continue;
    const flag = flags[name] ?? name;
    const ours =
      value === '' || value === false
        ? `the command line's ${named.join(' ') || 'flags'} (without ${flag})`
        : `${flag}${value === true ? '' : ` ${text(value)}`}`;
    throw new UsageError(
      `${ours} and inputs.${name}: ${text(inFile)} in the answers file ${inFileAt(g, `inputs.${name}`)} disagree: one value, given twice`,
      {
        hint: `keep one: drop ${named.join(' ') || 'the flags'} to take the answers file's, or ${dropFromFile(g, `inputs.${name}`)} to take the command line's`,
      },
    );
  }
}

/**
 * `resume --set key=VALUE` corrects the journal's answer; the answers file must not say a third thing
 * (it may still hold the answer the run started with), and an answer a finished step used cannot change.
 */
export function checkCorrections(g: GivenValues): void {
  const state = g.state;
  for (const [name, value] of Object.entries(g.corrections)) {
    const input = g.runbook.inputs.find((i) => i.name === name);
    if (!input) continue;
    const now = normaliseInput(input.type, value);
    const problem = checkInput(input, now);
    if (problem !== true) {
      throw new UsageError(`--set ${name}=${value}: input "${name}" must be ${describeInputType(input)} (${problem})`, {
        hint: `correct it on the command line: --set ${name}=VALUE`,
      });
    }
    const was = state?.inputs[name];
    if (name in g.answers.inputs) {
      const inFile = normaliseInput(input.type, g.answers.inputs[name]);
      if (!same(inFile, now) && !same(inFile, was)) {
        throw new UsageError(
          `--set ${name}=${value} and inputs.${name}: ${text(inFile)} in the answers file ${inFileAt(g, `inputs.${name}`)} disagree (the run had ${text(was)}): one value, given twice`,
          { hint: `keep one: drop --set ${name} to take the answers file's, or ${dropFromFile(g, `inputs.${name}`)} to take --set's` },
        );
      }
    }
    if (!state || !(name in state.inputs) || same(was, now)) continue;
    const consumer = g.runbook.steps.find((st) => state.steps.get(st.id)?.status === 'finished' && inputsOf(g.runbook, st).includes(name));
    if (consumer) {
      throw new UsageError(
        `--set ${name}=${value}: input "${name}" was ${JSON.stringify(was)} when step "${consumer.id}" ran, and that step finished`,
        {
          hint: `an input a finished step used cannot change within a run: drop --set ${name} to resume, or end this run (${commandLine(['abandon', g.runId])} --reason TEXT) and start a new one`,
        },
      );
    }
  }
}
