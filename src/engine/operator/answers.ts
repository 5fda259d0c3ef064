/**
 * The answers file: every question a runbook asks has an answer there for a run without a terminal
 * (YAML or JSON: inputs, confirmations, choices, and secrets the platform cannot tell).
 */
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
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
  /** Where each answer is written in the file (`SECTION.KEY`, and each section by its name) → its line; none for answers given otherwise. */
  lines?: Readonly<Record<string, number>>;
}

/** `FILE:LINE` of an answer (`SECTION.KEY` or a section) when the file gives its line, else `FILE`. */
export function answerAt(file: string, answers: Pick<Answers, 'lines'>, path: string): string {
  const line = answers.lines?.[path];
  return line === undefined ? file : `${file}:${line}`;
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

/** The line of each section and of each key in a section (`SECTION.KEY`), as the file writes them. */
function linesOf(contents: unknown, counter: LineCounter): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (path: string, node: Node): void => {
    const offset = node.range?.[0];
    if (offset !== undefined && !(path in out)) out[path] = counter.linePos(offset).line;
  };
  if (!isMap(contents)) return out;
  for (const section of contents.items) {
    if (!isScalar(section.key)) continue;
    const name = String(section.key.value);
    put(name, section.key);
    if (!isMap(section.value)) continue;
    for (const pair of section.value.items) if (isScalar(pair.key)) put(`${name}.${String(pair.key.value)}`, pair.key);
  }
  return out;
}

/** The file's top-level mapping, with no key but the four sections, and where each answer is written. */
function parseAnswersFile(file: string): { raw: Record<string, unknown>; lines: Record<string, number> } {
  // Its answers confirm destructive steps and choose what a root run acts on: only a file no other user may have written.
  const text = readInputFile(file, { what: 'answers file', maxBytes: MAX_ANSWERS_BYTES, hint: ANSWERS_HINT, trusted: true });
  const counter = new LineCounter();
  let raw: unknown;
  let lines: Record<string, number>;
  try {
    const doc = parseDocument(text, { lineCounter: counter });
    if (doc.errors.length) throw doc.errors[0]!;
    raw = doc.toJS();
    lines = linesOf(doc.contents, counter);
  } catch (err) {
    throw new UsageError(`cannot read answers file ${file}: ${messageOf(err)}`, { hint: ANSWERS_HINT });
  }
  if (!isRecord(raw)) {
    throw new UsageError(`answers file ${file} must be a mapping with inputs, confirm, choose and secrets`);
  }
  for (const key of Object.keys(raw)) {
    if (!SECTIONS.includes(key)) {
      throw new UsageError(
        `answers file ${answerAt(file, { lines }, key)}: unknown key "${key}" (expected inputs, confirm, choose, secrets)`,
      );
    }
  }
  return { raw, lines };
}

/** Each value of a section as text; a number is the text typed (a GUID prefix of digits reads as one). */
function textValues<T>(
  at: (path: string) => string,
  name: string,
  section: Record<string, unknown>,
  read: (value: unknown) => T | undefined,
  wanted: string,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(section)) {
    const v = read(value);
    if (v === undefined) {
      throw new UsageError(`answers file ${at(`${name}.${key}`)}: ${name}.${key} must be ${wanted} (found ${describeValue(value)})`, {
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
  const { raw: obj, lines } = parseAnswersFile(file);
  const at = (path: string): string => answerAt(file, { lines }, path);
  const section = (name: string): Record<string, unknown> => {
    const v = obj[name] ?? {};
    if (!isRecord(v)) throw new UsageError(`answers file ${at(name)}: "${name}" must be a mapping`);
    return v;
  };
  const secretValues: Record<string, string> = {};
  for (const [key, value] of Object.entries(section('secrets'))) {
    if (typeof value !== 'string') throw new UsageError(`answers file ${at(`secrets.${key}`)}: secrets.${key} must be a string`);
    redactor.register(value);
    secretValues[key] = value;
  }
  const confirm = textValues(
    at,
    'confirm',
    section('confirm'),
    (v) => (v === true || typeof v === 'string' ? v : finiteNumber(v) ? String(v) : undefined),
    'the text to type, or true',
  );
  const choose = textValues(
    at,
    'choose',
    section('choose'),
    (v) => (typeof v === 'string' ? v : finiteNumber(v) ? String(v) : undefined),
    'the value chosen, as text',
  );
  return { inputs: section('inputs'), confirm, choose, secrets: secretValues, lines };
}
