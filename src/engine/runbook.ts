/**
 * Runbooks are YAML. This module loads one and checks it statically, before anything
 * runs: unknown actions, unknown or missing parameters, parameters of the wrong type,
 * references to inputs or outputs that nothing earlier provides, duplicate step ids,
 * and actions that change the platform with no way to resume them after a crash (neither
 * a probe nor safeToRepeat). Every problem is reported as `FILE:LINE: message`.
 */
import { readInputFile } from './input-file.js';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node, type YAMLMap } from 'yaml';
import { valueFits, type ActionDef, type ValueType } from './action.js';
import { UsageError } from '../core/errors.js';
import { isWholeRef, refsOrErrors, RefSyntaxError, type Ref } from './template.js';

export const RUNBOOK_VERSION = 1;

export interface InputDef {
  name: string;
  prompt: string;
  type: 'string' | 'string[]' | 'boolean';
  /** A regular expression a string answer must match. */
  pattern?: string;
  default?: unknown;
  help?: string;
  line: number;
}

export interface ConfirmDef {
  /** The value the operator must type: a name, or a GUID of which the first 8 characters suffice. */
  typed: string;
  message: string;
  /**
   * Another text that confirms the step (e.g. the service name), known before the run starts, so
   * an answers file can confirm a step whose GUID only exists once an earlier step ran.
   */
  alsoAccept?: string;
}

export interface StepDef {
  id: string;
  title: string;
  why: string;
  action: string;
  with: Record<string, unknown>;
  confirm?: ConfirmDef;
  /** A reference; the step runs only when it resolves to true. */
  when?: string;
  line: number;
}

export interface Runbook {
  file: string;
  sha256: string;
  name: string;
  title: string;
  description: string;
  inputs: InputDef[];
  steps: StepDef[];
}

export type ActionRegistry = ReadonlyMap<string, ActionDef>;

class Problems {
  readonly list: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}
  at(node: Node | null | undefined, fallbackLine: number, message: string): void {
    const offset = node?.range?.[0];
    const line = offset === undefined ? fallbackLine : this.lines.linePos(offset).line;
    this.list.push(`${this.file}:${line}: ${message}`);
  }
}

function lineOf(lines: LineCounter, node: Node | null | undefined): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : lines.linePos(offset).line;
}

function str(map: YAMLMap, key: string): string | undefined {
  const v = map.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** Runbooks are a few KiB; past this a file is not one. */
const MAX_RUNBOOK_BYTES = 4 * 1024 * 1024;

export function loadRunbook(file: string, actions: ActionRegistry): Runbook {
  const text = readInputFile(file, {
    what: 'runbook',
    maxBytes: MAX_RUNBOOK_BYTES,
    hint: 'give the path of a runbook YAML file, or the name of a bundled runbook',
  });
  return parseRunbook(file, text, actions);
}

export function parseRunbook(file: string, text: string, actions: ActionRegistry): Runbook {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
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
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!['version', 'name', 'title', 'description', 'inputs', 'steps'].includes(key)) {
      problems.at(pair.key, 1, `unknown top-level key "${key}" (expected version, name, title, description, inputs, steps)`);
    }
  }

  const inputs = parseInputs(root.get('inputs', true), problems, lines);
  const steps = parseSteps(root.get('steps', true), problems, lines, actions, inputs);
  if (problems.list.length) throw runbookError(problems.list);
  return {
    file,
    sha256: createHash('sha256').update(text).digest('hex'),
    name: str(root, 'name') ?? file,
    title: str(root, 'title') ?? str(root, 'name') ?? file,
    description: str(root, 'description') ?? '',
    inputs,
    steps,
  };
}

function runbookError(list: string[]): UsageError {
  return new UsageError(list.join('\n'), { hint: 'fix the runbook and run `dingo-recover validate FILE` again' });
}

const INPUT_TYPES = ['string', 'string[]', 'boolean'] as const;

function parseInputs(node: Node | undefined, problems: Problems, lines: LineCounter): InputDef[] {
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
    const line = lineOf(lines, item);
    const name = str(item, 'name');
    const prompt = str(item, 'prompt');
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
    out.push({ name, prompt: prompt ?? name, type, pattern, default: plain, help: str(item, 'help'), line });
  }
  return out;
}

interface Known {
  inputs: Map<string, InputDef>;
  /** Outputs of the steps before the one being checked. */
  outputs: Map<string, Map<string, ValueType>>;
}

/** The type a reference yields: a value type, or a description of why it has none. */
function refType(ref: Ref, known: Known): string {
  switch (ref.kind) {
    case 'input': {
      const input = known.inputs.get(ref.name);
      return input ? input.type : `${ref.text}: no input named "${ref.name}"`;
    }
    case 'output': {
      const outs = known.outputs.get(ref.step);
      if (!outs) return `${ref.text}: no earlier step "${ref.step}" (a step can only use outputs of steps before it)`;
      const t = outs.get(ref.key);
      return t ?? `${ref.text}: step "${ref.step}" has no output "${ref.key}" (it has: ${[...outs.keys()].join(', ') || 'none'})`;
    }
    case 'run':
      return 'string';
  }
}

/** Checks a parameter value against its declared type; returns problems (empty when fine). */
function checkValue(value: unknown, expected: ValueType, known: Known): string[] {
  if (typeof value === 'string' && value.includes('${')) {
    const problems: string[] = [];
    for (const ref of refsOrErrors(value)) {
      if (ref instanceof RefSyntaxError) {
        problems.push(ref.message);
        continue;
      }
      const t = refType(ref, known);
      if (!['string', 'number', 'boolean', 'string[]', 'object', 'object[]'].includes(t)) problems.push(t);
      else if (isWholeRef(value) && t !== expected) {
        problems.push(`${ref.text} is a ${t}, but this parameter takes a ${expected}`);
      } else if (!isWholeRef(value) && expected !== 'string') {
        problems.push(`text with references is a string, but this parameter takes a ${expected}`);
      }
    }
    return problems;
  }
  if (Array.isArray(value) && (expected === 'string[]' || expected === 'object[]')) {
    const inner: ValueType = expected === 'string[]' ? 'string' : 'object';
    return value.flatMap((v) => checkValue(v, inner, known));
  }
  if (expected === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.values(value).flatMap((v) => (typeof v === 'string' && v.includes('${') ? checkRefsOnly(v, known) : []));
  }
  return valueFits(expected, value) ? [] : [`expected a ${expected}, found ${JSON.stringify(value)}`];
}

function checkRefsOnly(value: string, known: Known): string[] {
  return refsOrErrors(value)
    .map((r) => (r instanceof RefSyntaxError ? r.message : refType(r, known)))
    .filter((t) => !['string', 'number', 'boolean', 'string[]', 'object', 'object[]'].includes(t));
}

const STEP_KEYS = ['id', 'title', 'why', 'action', 'with', 'confirm', 'when'];

function parseSteps(
  node: Node | undefined,
  problems: Problems,
  lines: LineCounter,
  actions: ActionRegistry,
  inputs: InputDef[],
): StepDef[] {
  if (node === undefined || !isSeq(node) || node.items.length === 0) {
    problems.at(node, 1, 'steps must be a non-empty list');
    return [];
  }
  const known: Known = { inputs: new Map(inputs.map((i) => [i.name, i])), outputs: new Map() };
  const ids = new Map<string, number>();
  const steps: StepDef[] = [];
  for (const item of node.items) {
    if (!isMap(item)) {
      problems.at(item as Node, 1, 'each step is a mapping with id, title, why, action and with');
      continue;
    }
    const line = lineOf(lines, item);
    const id = str(item, 'id');
    if (!id || !/^[a-z][a-z0-9-]*$/.test(id)) {
      problems.at(item, line, `step id must be lower-case words joined by "-" (found ${JSON.stringify(id)})`);
      continue;
    }
    const where = `step "${id}"`;
    if (ids.has(id)) problems.at(item.get('id', true), line, `duplicate step id "${id}" (first at line ${ids.get(id)})`);
    else ids.set(id, line);
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!STEP_KEYS.includes(key))
        problems.at(pair.key as Node, line, `${where}: unknown key "${key}" (expected ${STEP_KEYS.join(', ')})`);
    }
    const title = str(item, 'title');
    const why = str(item, 'why');
    if (!title) problems.at(item, line, `${where} needs a title`);
    if (!why) problems.at(item, line, `${where} needs a "why": the operator-facing explanation`);
    const actionName = str(item, 'action');
    const action = actionName ? actions.get(actionName) : undefined;
    if (!action) {
      const near = actionName ? [...actions.keys()].filter((a) => a.split('.')[0] === actionName.split('.')[0]) : [];
      problems.at(
        item.get('action', true),
        line,
        `${where}: unknown action ${JSON.stringify(actionName)}${near.length ? ` (did you mean one of: ${near.join(', ')}?)` : ''}`,
      );
    }
    if (action && action.effect !== 'read' && !action.probe && !action.safeToRepeat?.trim()) {
      problems.at(
        item,
        line,
        `${where}: action ${action.name} changes the platform (effect ${action.effect}) but declares neither a probe nor safeToRepeat, so a resume could not tell whether an interrupted attempt already acted`,
      );
    }
    const withNode = item.get('with', true) as Node | undefined;
    const withValue: Record<string, unknown> = {};
    if (withNode !== undefined && !isMap(withNode)) problems.at(withNode, line, `${where}: "with" must be a mapping of parameters`);
    if (action && (withNode === undefined || isMap(withNode))) {
      const given = new Set<string>();
      for (const pair of withNode && isMap(withNode) ? withNode.items : []) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        given.add(key);
        const valueNode = pair.value as Node | null;
        const value = (valueNode as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
        withValue[key] = value;
        const spec = action.params[key];
        if (!spec) {
          problems.at(
            pair.key as Node,
            line,
            `${where}: action ${action.name} has no parameter "${key}" (it takes: ${Object.keys(action.params).join(', ')})`,
          );
          continue;
        }
        for (const p of checkValue(value, spec.type, known))
          problems.at(valueNode ?? (pair.key as Node), line, `${where}: parameter "${key}": ${p}`);
      }
      for (const [key, spec] of Object.entries(action.params)) {
        if (spec.required && !given.has(key))
          problems.at(item, line, `${where}: action ${action.name} needs parameter "${key}" (${spec.description})`);
      }
    }
    let confirm: ConfirmDef | undefined;
    const confirmNode = item.get('confirm', true) as Node | undefined;
    if (confirmNode !== undefined) {
      if (!isMap(confirmNode) || !str(confirmNode, 'typed')) {
        problems.at(confirmNode, line, `${where}: confirm needs "typed" (what the operator must type) and "message"`);
      } else {
        confirm = {
          typed: str(confirmNode, 'typed')!,
          message: str(confirmNode, 'message') ?? title ?? id,
          alsoAccept: str(confirmNode, 'alsoAccept'),
        };
        for (const p of checkValue(confirm.typed, 'string', known)) problems.at(confirmNode, line, `${where}: confirm.typed: ${p}`);
        if (confirm.alsoAccept !== undefined)
          for (const p of checkValue(confirm.alsoAccept, 'string', known))
            problems.at(confirmNode, line, `${where}: confirm.alsoAccept: ${p}`);
      }
    } else if (action?.effect === 'destructive') {
      problems.at(item, line, `${where}: action ${action.name} is destructive and needs a "confirm" block`);
    }
    const when = str(item, 'when');
    if (when !== undefined) {
      if (!isWholeRef(when)) problems.at(item.get('when', true), line, `${where}: "when" must be a single reference to a boolean`);
      else for (const p of checkValue(when, 'boolean', known)) problems.at(item.get('when', true), line, `${where}: when: ${p}`);
    }
    if (action) known.outputs.set(id, new Map(Object.entries(action.outputs).map(([k, o]) => [k, o.type])));
    steps.push({ id, title: title ?? id, why: why ?? '', action: actionName ?? '', with: withValue, confirm, when, line });
  }
  return steps;
}
