/**
 * What a runbook declares it produces (`outputs:`) and what it is about (`subject:`), checked when
 * it loads, and read from a run's step outputs.
 *
 *   subject:                               # the instance (or, for a whole space, spaceGuid) a run is about
 *     instanceGuid: ${steps.find.outputs.instanceGuid}
 *     archiveUrl: ${steps.find.outputs.archiveUrl}
 *     live: false                          # or a reference to a boolean
 *   outputs:
 *     - name: newGuid
 *       type: string
 *       description: the recreated instance
 *       from: ${steps.create.outputs.instanceGuid}
 *
 * `from` is a single reference to an output of a step of this runbook (or of a `use` step: its
 * declared outputs); its type must be the one declared, and an object or object[] keeps the shape
 * its source declares. A step that did not run leaves its outputs out.
 */
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import type { OutputSpec, ValueType } from './action.js';
import { checkValue, refType, type Known } from './runbook-checks.js';
import type { OutputDef, Runbook, SubjectDef } from './runbook-model.js';
import { keyOf, plain, str, type Problems } from './runbook-problems.js';
import { isWholeRef, parseRef, RefSyntaxError, resolveValue, type Ref } from './template.js';

const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'boolean', 'string[]', 'object', 'object[]'];
const OUTPUT_KEYS = ['name', 'type', 'description', 'from'];
const SUBJECT_KEYS = ['instanceGuid', 'archiveUrl', 'live', 'spaceGuid'];

/** The step output a `from` names, or why it names none. */
function stepRef(from: string | undefined): Extract<Ref, { kind: 'output' }> | string {
  const expected = 'from must be a single reference to a step output (${steps.STEP_ID.outputs.KEY})';
  if (from === undefined || !isWholeRef(from)) return expected;
  try {
    const ref = parseRef(from.slice(2, -1), from);
    return ref.kind === 'output' ? ref : `${expected}, found ${from}`;
  } catch (err) {
    if (err instanceof RefSyntaxError) return err.message;
    throw err;
  }
}

function parseOutput(item: YAMLMap, problems: Problems, known: Known, seen: Set<string>): OutputDef | undefined {
  const line = problems.lineOf(item);
  const name = str(item, 'name');
  if (!name || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    problems.at(item, line, `output name must be an identifier (found ${JSON.stringify(name ?? null)})`);
    return undefined;
  }
  const where = `output "${name}"`;
  if (seen.has(name)) problems.at(item, line, `${where} is declared twice`);
  seen.add(name);
  for (const pair of item.items) {
    const key = keyOf(pair.key);
    if (!OUTPUT_KEYS.includes(key))
      problems.at(pair.key as Node, line, `${where}: unknown key "${key}" (expected ${OUTPUT_KEYS.join(', ')})`);
  }
  const type = str(item, 'type') as ValueType | undefined;
  if (type === undefined || !VALUE_TYPES.includes(type)) {
    problems.at(item.get('type', true) ?? item, line, `${where}: type must be one of ${VALUE_TYPES.join(', ')}`);
    return undefined;
  }
  const from = str(item, 'from');
  const fromNode = (item.get('from', true) as Node | undefined) ?? item;
  const ref = stepRef(from);
  if (typeof ref === 'string') {
    problems.at(fromNode, line, `${where}: ${ref}`);
    return undefined;
  }
  const found = refType(ref, known);
  if (!VALUE_TYPES.includes(found as ValueType)) problems.at(fromNode, line, `${where}: ${found}`);
  else if (found !== type) problems.at(fromNode, line, `${where}: declared ${type}, but ${ref.text} is a ${found}`);
  const source = known.outputs.get(ref.step)?.get(ref.key);
  return { name, type, description: str(item, 'description') ?? name, from: ref.text, shape: source?.shape, line };
}

export function parseOutputs(node: Node | undefined, problems: Problems, known: Known): OutputDef[] {
  if (node === undefined) return [];
  if (!isSeq(node)) {
    problems.at(node, 1, 'outputs must be a list of {name, type, description, from}');
    return [];
  }
  const seen = new Set<string>();
  const out: OutputDef[] = [];
  for (const item of node.items) {
    if (!isMap(item)) problems.at(item as Node, 1, 'each output is a mapping with name, type, description and from');
    else {
      const def = parseOutput(item, problems, known, seen);
      if (def) out.push(def);
    }
  }
  return out;
}

export function parseSubject(node: Node | undefined, problems: Problems, known: Known): SubjectDef | undefined {
  if (node === undefined) return undefined;
  const line = problems.lineOf(node);
  if (!isMap(node)) {
    problems.at(node, line, 'subject must be a mapping with instanceGuid, archiveUrl and live (or spaceGuid)');
    return undefined;
  }
  if (!node.has('instanceGuid') && !node.has('spaceGuid')) {
    problems.at(node, line, 'subject must name the instance (instanceGuid) or the space (spaceGuid) a run is about');
    return undefined;
  }
  for (const pair of node.items) {
    const key = keyOf(pair.key);
    if (!SUBJECT_KEYS.includes(key))
      problems.at(pair.key as Node, line, `subject: unknown key "${key}" (expected ${SUBJECT_KEYS.join(', ')})`);
  }
  const ref = (key: string, type: ValueType, needed: boolean): string | undefined => {
    const value = str(node, key);
    const at = (node.get(key, true) as Node | undefined) ?? node;
    if (value === undefined || !isWholeRef(value)) {
      if (needed || node.has(key)) problems.at(at, line, `subject.${key} must be a single reference to a step output of type ${type}`);
      return undefined;
    }
    for (const p of checkValue(value, type, known)) problems.at(at, line, `subject.${key}: ${p}`);
    return value;
  };
  const instanceGuid = ref('instanceGuid', 'string', false);
  const spaceGuid = ref('spaceGuid', 'string', false);
  const archiveUrl = ref('archiveUrl', 'string', false);
  const liveValue = plain(node.get('live', true));
  const live = typeof liveValue === 'boolean' ? liveValue : node.has('live') ? ref('live', 'boolean', true) : false;
  return { instanceGuid, spaceGuid, archiveUrl, live: live ?? false };
}

/** The declared outputs as specs, for a caller's checks. */
export function outputSpecs(outputs: readonly OutputDef[]): Map<string, OutputSpec> {
  return new Map(outputs.map((o) => [o.name, o.shape ? { type: o.type, description: o.description, shape: o.shape } : o]));
}

/** A reference read against steps' outputs; undefined when its step has not finished. */
function read(ref: string, outputs: Record<string, Record<string, unknown>>): unknown {
  try {
    return resolveValue(ref, { inputs: {}, outputs, run: { id: '', mode: '' } });
  } catch {
    return undefined;
  }
}

/** The runbook's declared outputs, from its steps' outputs by step id: those whose step finished. */
export function declaredOutputs(
  runbook: Pick<Runbook, 'outputs'>,
  outputs: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of runbook.outputs) {
    const v = read(o.from, outputs);
    if (v !== undefined) out[o.name] = v;
  }
  return out;
}

/** The step each declared output is taken from (an inner step, once `use` steps are inlined), by output name. */
export function outputSteps(runbook: Pick<Runbook, 'outputs'>): Record<string, string> {
  const steps: Record<string, string> = {};
  for (const o of runbook.outputs) {
    const ref = stepRef(o.from);
    if (typeof ref !== 'string') steps[o.name] = ref.step;
  }
  return steps;
}

/** The instance a run is about, once the step naming it finished (none for a runbook about a space). */
export interface RunSubject {
  instanceGuid: string;
  archiveUrl?: string;
  live: boolean;
}

export function runSubject(runbook: Pick<Runbook, 'subject'>, outputs: Record<string, Record<string, unknown>>): RunSubject | undefined {
  const s = runbook.subject;
  if (s?.instanceGuid === undefined) return undefined;
  const guid = read(s.instanceGuid, outputs);
  if (typeof guid !== 'string' || !guid) return undefined;
  const archive = s.archiveUrl === undefined ? undefined : read(s.archiveUrl, outputs);
  const live = typeof s.live === 'boolean' ? s.live : read(s.live, outputs) === true;
  return { instanceGuid: guid, ...(typeof archive === 'string' && archive ? { archiveUrl: archive } : {}), live };
}
