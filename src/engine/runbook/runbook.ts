/**
 * Runbooks are YAML. This module loads one and checks it statically, before anything
 * runs: unknown actions, unknown or missing parameters, parameters of the wrong type,
 * references to inputs or outputs that nothing earlier provides, duplicate step ids,
 * and actions that change the platform with no way to resume them after a crash (neither
 * a probe nor safeToRepeat). A for-each step's sub-runbook is loaded and checked the same
 * way (runbook-foreach.ts), and so is a runbook a `use` step inlines (runbook-use.ts). Every problem
 * is reported as `FILE:LINE: message`.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { valueFits } from './action.js';
import { UsageError } from '../../core/errors.js';
import { readInputFile } from '../../core/input-file.js';
import { parsedOnce } from '../../core/parsed-once.js';
import type { SubRunbookLoader } from './runbook-foreach-sub.js';
import type { UseLoader } from './runbook-use.js';
import type { ActionRegistry, InputDef, Runbook } from './runbook-model.js';
import { keyOf, Problems, runbookError, str, unknownKeys } from './runbook-problems.js';
import { parseSteps } from './runbook-steps.js';
import { parseOutputs } from './runbook-outputs.js';
import { parseSubject } from './runbook-subject.js';
import { stepThroughUses, throughUses } from './runbook-use.js';
import { parseReport } from './runbook-report.js';

export type { ActionRegistry, ConfirmDef, ForEachDef, Runbook, StepDef } from './runbook-model.js';

const RUNBOOK_VERSION = 1;
const TOP_KEYS = ['version', 'name', 'title', 'description', 'subject', 'inputs', 'steps', 'outputs', 'report'];

/** Runbooks are a few KiB; past this a file is not one. */
const MAX_RUNBOOK_BYTES = 4 * 1024 * 1024;

function readRunbook(file: string): string {
  return readInputFile(file, {
    what: 'runbook',
    // A runbook names the actions a root run takes: only a file no other user may have written.
    trusted: true,
    maxBytes: MAX_RUNBOOK_BYTES,
    hint: 'give the path of a runbook YAML file, or the name of a bundled runbook',
  });
}

export function loadRunbook(file: string, actions: ActionRegistry): Runbook {
  return parseRunbook(file, readRunbook(file), actions);
}

/** Where a for-each's `runbook:` or a `use:` points: a bare name is `<name>.yaml` next to the runbook, anything else a path relative to its folder. */
function subRunbookPath(parentFile: string, ref: string): string {
  const bare = /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(ref);
  return resolve(dirname(parentFile), bare ? `${ref}.yaml` : ref);
}

/** Where the runbook being loaded stands: the files that led to it (for cycles), and whether it runs per item. */
interface Chain {
  files: string[];
  /** A for-each's sub-runbook, or a runbook it uses: it may not hold a for-each itself. */
  perItem: boolean;
}

/** Loads `file` as a runbook used or run per item from the runbook at the end of `chain`. */
function loadFrom(parentFile: string, ref: string, actions: ActionRegistry, chain: Chain): Runbook | string[] {
  const file = subRunbookPath(parentFile, ref);
  if (chain.files.includes(file)) return [`${[...chain.files, file].join(' → ')}: the runbook runs itself (a cycle)`];
  try {
    return parseText(file, readRunbook(file), actions, { files: [...chain.files, file], perItem: chain.perItem });
  } catch (err) {
    if (err instanceof UsageError) return err.message.split('\n');
    throw err;
  }
}

export function parseRunbook(file: string, text: string, actions: ActionRegistry): Runbook {
  return parseText(file, text, actions, { files: [resolve(file)], perItem: false });
}

/**
 * A runbook's YAML document and its line counter, parsed once per text (core/parsed-once.ts): only read
 * after, never changed, so every load of the same text may share them.
 */
const runbookDocument = parsedOnce((text: string) => {
  const lines = new LineCounter();
  return { lines, doc: parseDocument(text, { lineCounter: lines, keepSourceTokens: false }) };
});

function parseText(file: string, text: string, actions: ActionRegistry, chain: Chain): Runbook {
  const { lines, doc } = runbookDocument(text);
  const problems = new Problems(file, lines);
  for (const err of doc.errors) {
    problems.list.push(`${file}:${err.linePos?.[0]?.line ?? 1}: YAML: ${err.message.split('\n')[0]}`);
  }
  if (problems.list.length) throw runbookError(problems.list);
  const root = doc.contents;
  if (!isMap(root)) throw runbookError([`${file}:1: a runbook is a mapping with version, name, inputs and steps`]);

  const version = root.get('version') as unknown;
  if (version !== RUNBOOK_VERSION) {
    problems.at(root.get('version', true), 1, `version must be ${RUNBOOK_VERSION} (found ${JSON.stringify(version)})`);
  }
  for (const pair of root.items) {
    const key = keyOf(pair.key);
    if (!TOP_KEYS.includes(key)) problems.at(pair.key, 1, `unknown top-level key "${key}" (expected ${TOP_KEYS.join(', ')})`);
  }

  const inputs = parseInputs(root.get('inputs', true), problems);
  const used: Runbook[] = [];
  const loadSub: SubRunbookLoader = (ref) => loadFrom(file, ref, actions, { ...chain, perItem: true });
  const loadUse: UseLoader = (ref) => loadFrom(file, ref, actions, chain);
  const parsed = parseSteps(
    root.get('steps', true),
    { problems, actions, loadSub: chain.perItem ? undefined : loadSub, loadUse, used },
    inputs,
  );
  const { known, aliases } = parsed.seen;
  const outputs = parseOutputs(root.get('outputs', true), problems, known).map((o) => ({ ...o, from: throughUses(o.from, aliases) }));
  const subject = throughUses(parseSubject(root.get('subject', true), problems, known), aliases);
  if (problems.list.length) throw runbookError(problems.list);
  const steps = parsed.steps.map((s) => stepThroughUses(s, aliases));
  const report = parseReport(root.get('report', true), problems, outputs, steps, actions);
  if (problems.list.length) throw runbookError(problems.list);
  // A resume checks the runbook did not change: the runbooks it uses or runs per item are part of it.
  const hash = createHash('sha256').update(text);
  for (const u of used) hash.update(`\0${u.sha256}`);
  for (const s of steps) if (s.forEach && !s.from) hash.update(`\0${s.forEach.runbook.sha256}`);
  return {
    file,
    sha256: hash.digest('hex'),
    name: str(root, 'name') ?? file,
    title: str(root, 'title') ?? str(root, 'name') ?? file,
    description: str(root, 'description') ?? '',
    inputs,
    steps,
    outputs,
    ...(report ? { report } : {}),
    ...(subject ? { subject } : {}),
  };
}

const INPUT_TYPES = ['string', 'string[]', 'boolean', 'object[]'] as const;
const INPUT_KEYS = ['name', 'prompt', 'type', 'pattern', 'default', 'help', 'askedWhen', 'askedUnless'];

function parseInputs(node: Node | undefined, problems: Problems): InputDef[] {
  if (node === undefined) return [];
  if (!isSeq(node)) {
    problems.at(node, 1, 'inputs must be a list of {name, prompt, type}');
    return [];
  }
  const seen = new Set<string>();
  const out: InputDef[] = [];
  for (const item of node.items) {
    if (!isMap(item)) {
      problems.at(item as Node, 1, 'each input is a mapping with name, prompt and type');
      continue;
    }
    const line = problems.lineOf(item);
    const name = str(item, 'name');
    const prompt = str(item, 'prompt');
    unknownKeys(
      item,
      INPUT_KEYS,
      problems,
      line,
      (key) => `input ${JSON.stringify(name ?? null)}: unknown key "${key}" (expected ${INPUT_KEYS.join(', ')})`,
    );
    const type = (item.get('type') ?? 'string') as InputDef['type'];
    if (!name || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      problems.at(item, line, `input name must be an identifier (found ${JSON.stringify(name)})`);
      continue;
    }
    if (seen.has(name)) problems.at(item, line, `duplicate input "${name}"`);
    seen.add(name);
    if (!prompt) problems.at(item, line, `input "${name}" needs a prompt`);
    if (!INPUT_TYPES.includes(type)) {
      problems.at(item.get('type', true), line, `input "${name}": type must be one of ${INPUT_TYPES.join(', ')}`);
    }
    const pattern = str(item, 'pattern');
    if (pattern !== undefined) {
      try {
        new RegExp(pattern);
      } catch {
        problems.at(item.get('pattern', true), line, `input "${name}": pattern is not a valid regular expression`);
      }
    }
    const def = item.get('default');
    const plain = (def as { toJSON?: () => unknown } | undefined)?.toJSON?.() ?? def;
    if (plain !== undefined && !valueFits(type, plain)) {
      problems.at(item.get('default', true), line, `input "${name}": default must be a ${type}`);
    }
    const input: InputDef = { name, prompt: prompt ?? name, type, pattern, default: plain, help: str(item, 'help'), line };
    for (const key of ['askedWhen', 'askedUnless'] as const) {
      const when = parseAskedWhen(item, key, input, out, problems);
      if (when) input[key] = when;
    }
    out.push(input);
  }
  return out;
}

/** `askedWhen` / `askedUnless`: a mapping of earlier inputs to values of their types; the input needs a default to stand for it. */
function parseAskedWhen(
  item: YAMLMap,
  key: 'askedWhen' | 'askedUnless',
  input: InputDef,
  earlier: InputDef[],
  problems: Problems,
): Record<string, unknown> | undefined {
  const node = item.get(key, true) as Node | undefined;
  if (node === undefined) return undefined;
  const where = `input "${input.name}": ${key}`;
  const value = (node as { toJSON?: () => unknown }).toJSON?.();
  if (!isMap(node) || !value || typeof value !== 'object') {
    problems.at(node, input.line, `${where} must be a mapping of earlier inputs to a value each`);
    return undefined;
  }
  if (input.default === undefined)
    problems.at(node, input.line, `${where}: an input not always asked needs a default, which it takes when not asked`);
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const other = earlier.find((i) => i.name === name);
    if (!other) problems.at(node, input.line, `${where}: "${name}" is no earlier input (an input is asked after those it depends on)`);
    else if (!valueFits(other.type, v)) problems.at(node, input.line, `${where}: ${name} is a ${other.type}, not ${JSON.stringify(v)}`);
  }
  return value as Record<string, unknown>;
}
