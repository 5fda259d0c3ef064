/**
 * Every question the runbook asks has a non-interactive equivalent: an answers file
 * (YAML or JSON) and --yes for confirmations. When no terminal is attached and an
 * answer is missing, the run stops with exit 3, naming the key to add.
 */
import { secrets } from '../core/redact.js';
import { parse as parseYaml } from 'yaml';
import { NeedsOperator, UsageError, Interrupted } from '../core/errors.js';
import { readInputFile } from './input-file.js';
import { isGuidAnyCase } from '../core/guid.js';

export interface Answers {
  /** Input name → answer. */
  inputs: Record<string, unknown>;
  /** Step id → the text typed to confirm it (or true to accept). */
  confirm: Record<string, string | true>;
  /** Choice name → the chosen value (e.g. which deleted instance). */
  choose: Record<string, string>;
  /** Secrets the platform cannot tell (e.g. oldSuperuserPassword); redacted everywhere, never journaled. */
  secrets: Record<string, string>;
}

const ANSWERS_HINT =
  'the answers file is YAML or JSON: {inputs: {org: ..., space: ...}, confirm: {STEP_ID: TYPED}, choose: {...}, secrets: {...}}';
/** An answers file holds a few lines; past this a file is not one. */
const MAX_ANSWERS_BYTES = 1024 * 1024;

export function loadAnswers(file: string | undefined): Answers {
  const empty: Answers = { inputs: {}, confirm: {}, choose: {}, secrets: {} };
  if (!file) return empty;
  const text = readInputFile(file, { what: 'answers file', maxBytes: MAX_ANSWERS_BYTES, hint: ANSWERS_HINT });
  let raw: unknown;
  try {
    raw = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    throw new UsageError(`cannot read answers file ${file}: ${(err as Error).message}`, { hint: ANSWERS_HINT });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`answers file ${file} must be a mapping with inputs, confirm, choose and secrets`);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!['inputs', 'confirm', 'choose', 'secrets'].includes(key)) {
      throw new UsageError(`answers file ${file}: unknown key "${key}" (expected inputs, confirm, choose, secrets)`);
    }
  }
  const section = (name: string): Record<string, never> => {
    const v = obj[name] ?? {};
    if (typeof v !== 'object' || Array.isArray(v) || v === null) throw new UsageError(`answers file ${file}: "${name}" must be a mapping`);
    return v as Record<string, never>;
  };
  const secretValues = section('secrets') as Record<string, unknown>;
  for (const [key, value] of Object.entries(secretValues)) {
    if (typeof value !== 'string') throw new UsageError(`answers file ${file}: secrets.${key} must be a string`);
    secrets.register(value);
  }
  // A GUID prefix of digits reads as a number: it is the text typed, so it is taken as text.
  const confirm: Record<string, string | true> = {};
  for (const [key, value] of Object.entries(section('confirm') as Record<string, unknown>)) {
    if (value === true || typeof value === 'string') confirm[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) confirm[key] = String(value);
    else
      throw new UsageError(`answers file ${file}: confirm.${key} must be the text to type, or true (found ${describeValue(value)})`, {
        hint: ANSWERS_HINT,
      });
  }
  const choose: Record<string, string> = {};
  for (const [key, value] of Object.entries(section('choose') as Record<string, unknown>)) {
    if (typeof value === 'string') choose[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) choose[key] = String(value);
    else
      throw new UsageError(`answers file ${file}: choose.${key} must be the value chosen, as text (found ${describeValue(value)})`, {
        hint: ANSWERS_HINT,
      });
  }
  return { inputs: section('inputs'), confirm, choose, secrets: secretValues as Record<string, string> };
}

function describeValue(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${String(v)}`;
}

export interface Choice {
  value: string;
  name: string;
  description?: string;
}

export interface Prompter {
  readonly interactive: boolean;
  input(q: { key: string; message: string; default?: string; validate?: (v: string) => string | true }): Promise<string>;
  /** The operator types `expected` (or, for a GUID, its first 8 characters). */
  typed(q: { key: string; message: string; expected: string; alsoAccept?: string }): Promise<string>;
  select(q: { key: string; message: string; choices: Choice[] }): Promise<string>;
}

function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

/** Questions on a terminal, through @inquirer/prompts. */
export class TerminalPrompter implements Prompter {
  readonly interactive = true;

  async input(q: Parameters<Prompter['input']>[0]): Promise<string> {
    const { input } = await import('@inquirer/prompts');
    try {
      return await input({ message: q.message, default: q.default, validate: q.validate });
    } catch (err) {
      if (isPromptExit(err)) throw new Interrupted('interrupted at a question');
      throw err;
    }
  }

  async typed(q: Parameters<Prompter['typed']>[0]): Promise<string> {
    return this.input({
      key: q.key,
      message: q.message,
      validate: (v) =>
        confirmationMatches(v, q.expected, q.alsoAccept)
          ? true
          : `type ${describeExpected(q.expected)}${q.alsoAccept ? ` or "${q.alsoAccept}"` : ''} to go on, or Ctrl-C to stop`,
    });
  }

  async select(q: Parameters<Prompter['select']>[0]): Promise<string> {
    const { select } = await import('@inquirer/prompts');
    try {
      return await select({ message: q.message, choices: q.choices });
    } catch (err) {
      if (isPromptExit(err)) throw new Interrupted('interrupted at a question');
      throw err;
    }
  }
}

/** No terminal: every answer must come from the answers file (or --yes). */
export class UnattendedPrompter implements Prompter {
  readonly interactive = false;
  constructor(private readonly answersFile: string | undefined) {}

  private missing(kind: string, key: string, message: string): never {
    throw new NeedsOperator(`no answer for ${kind} "${key}" (${message}) and no terminal to ask on`, {
      hint: this.answersFile
        ? `add ${kind === 'input' ? 'inputs' : kind === 'confirmation' ? 'confirm' : 'choose'}.${key} to ${this.answersFile}, then resume`
        : `run in a terminal, or pass --answers FILE with ${kind === 'input' ? 'inputs' : kind === 'confirmation' ? 'confirm' : 'choose'}.${key} (and --yes to accept confirmations), then resume`,
    });
  }

  async input(q: Parameters<Prompter['input']>[0]): Promise<string> {
    return this.missing('input', q.key, q.message);
  }
  async typed(q: Parameters<Prompter['typed']>[0]): Promise<string> {
    return this.missing('confirmation', q.key, q.message);
  }
  async select(q: Parameters<Prompter['select']>[0]): Promise<string> {
    return this.missing('choice', q.key, q.message);
  }
}

export function describeExpected(expected: string): string {
  return isGuidAnyCase(expected) ? `the first 8 characters of ${expected}` : `"${expected}"`;
}

/** Whether the text typed confirms `expected` (a GUID: its first 8 characters suffice), or equals `alsoAccept`. */
export function confirmationMatches(typed: string, expected: string, alsoAccept?: string): boolean {
  const t = typed.trim();
  if (t === expected || (alsoAccept !== undefined && alsoAccept !== '' && t === alsoAccept)) return true;
  return isGuidAnyCase(expected) && t.length >= 8 && expected.toLowerCase().startsWith(t.toLowerCase());
}
