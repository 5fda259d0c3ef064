/**
 * The answers file: every question a runbook asks has an answer there for a run without a terminal
 * (YAML or JSON: inputs, confirmations, choices, and secrets the platform cannot tell).
 */
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { readInputFile } from '../../core/input-file.js';
import { isRecord } from '../../core/json.js';
import { messageOf } from '../../core/errors.js';

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
const SECTIONS = ['inputs', 'confirm', 'choose', 'secrets'];

function describeValue(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? `${typeof v} ${String(v)}`
    : typeof v;
}

/** The file's top-level mapping, with no key but the four sections. */
function parseAnswersFile(file: string): Record<string, unknown> {
  // Its answers confirm destructive steps and choose what a root run acts on: only a file no other user may have written.
  const text = readInputFile(file, { what: 'answers file', maxBytes: MAX_ANSWERS_BYTES, hint: ANSWERS_HINT, trusted: true });
  let raw: unknown;
  try {
    raw = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    throw new UsageError(`cannot read answers file ${file}: ${messageOf(err)}`, { hint: ANSWERS_HINT });
  }
  if (!isRecord(raw)) {
    throw new UsageError(`answers file ${file} must be a mapping with inputs, confirm, choose and secrets`);
  }
  for (const key of Object.keys(raw)) {
    if (!SECTIONS.includes(key)) {
      throw new UsageError(`answers file ${file}: unknown key "${key}" (expected inputs, confirm, choose, secrets)`);
    }
  }
  return raw;
}

/** Each value of a section as text; a number is the text typed (a GUID prefix of digits reads as one). */
function textValues<T>(
  file: string,
  name: string,
  section: Record<string, unknown>,
  read: (value: unknown) => T | undefined,
  wanted: string,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(section)) {
    const v = read(value);
    if (v === undefined) {
      throw new UsageError(`answers file ${file}: ${name}.${key} must be ${wanted} (found ${describeValue(value)})`, {
        hint: ANSWERS_HINT,
      });
    }
    out[key] = v;
  }
  return out;
}

const finiteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The answers file, its secrets registered with `redactor` as they are read. */
export function loadAnswers(file: string | undefined, redactor: Redactor): Answers {
  if (!file) return { inputs: {}, confirm: {}, choose: {}, secrets: {} };
  const obj = parseAnswersFile(file);
  const section = (name: string): Record<string, unknown> => {
    const v = obj[name] ?? {};
    if (!isRecord(v)) throw new UsageError(`answers file ${file}: "${name}" must be a mapping`);
    return v;
  };
  const secretValues: Record<string, string> = {};
  for (const [key, value] of Object.entries(section('secrets'))) {
    if (typeof value !== 'string') throw new UsageError(`answers file ${file}: secrets.${key} must be a string`);
    redactor.register(value);
    secretValues[key] = value;
  }
  const confirm = textValues(
    file,
    'confirm',
    section('confirm'),
    (v) => (v === true || typeof v === 'string' ? v : finiteNumber(v) ? String(v) : undefined),
    'the text to type, or true',
  );
  const choose = textValues(
    file,
    'choose',
    section('choose'),
    (v) => (typeof v === 'string' ? v : finiteNumber(v) ? String(v) : undefined),
    'the value chosen, as text',
  );
  return { inputs: section('inputs'), confirm, choose, secrets: secretValues };
}
