/**
 * What a runbook declares it produces (`outputs:`), checked when it loads; what it is about
 * (`subject:`) is runbook-subject.ts's, and the values both take in a run declared-outputs.ts's.
 *
 *   outputs:
 *     - name: newGuid
 *       type: string
 *       description: the recreated instance
 *       from: ${steps.create.outputs.instanceGuid}
 *
 * `from` is a single reference to an output of a step of this runbook (or of a `use` step: its
 * declared outputs); its type must be the one declared, and an object or object[] keeps the shape
 * its source declares. A step that did not run leaves its outputs out (declared-outputs.ts).
 */
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import type { OutputSpec, ValueType } from './action.js';
import { refType, type Known } from './runbook-checks.js';
import type { OutputDef } from './runbook-model.js';
import { keyOf, str, type Problems } from './runbook-problems.js';
import { isWholeRef, parseRef, RefSyntaxError, type Ref } from './template.js';

const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'boolean', 'string[]', 'object', 'object[]'];
const OUTPUT_KEYS = ['name', 'type', 'description', 'from'];

/** The step output a `from` names, or why it names none. */
export function stepRef(from: string | undefined): Extract<Ref, { kind: 'output' }> | string {
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

/** The declared outputs as specs, for a caller's checks. */
export function outputSpecs(outputs: readonly OutputDef[]): Map<string, OutputSpec> {
  return new Map(outputs.map((o) => [o.name, o.shape ? { type: o.type, description: o.description, shape: o.shape } : o]));
}
