/** The runbook loader's checks of values against declared types, and of the references inside them. */
import { valueFits, type OutputSpec, type ValueType } from './action.js';
import type { InputDef } from './runbook-model.js';
import { isWholeRef, refsOrErrors, RefSyntaxError, type Ref } from './template.js';

export interface Known {
  inputs: Map<string, InputDef>;
  /** Outputs of the steps before the one being checked (a `use` step's: the used runbook's declared outputs). */
  outputs: Map<string, ReadonlyMap<string, OutputSpec>>;
  /** Steps a `use` inlined, whose outputs are not this runbook's to read: what each is. */
  hidden: Map<string, string>;
  /** Set while checking a for-each step's inputs: `${item…}` may be used, its type known only at run time. */
  item?: boolean;
}

const VALUE_TYPES: readonly string[] = ['string', 'number', 'boolean', 'string[]', 'object', 'object[]'];
/** The type of `${item…}`: any; the value is checked when the for-each runs. */
const ITEM_TYPE = 'item';

/** The type a reference yields: a value type, or a description of why it has none. */
export function refType(ref: Ref, known: Known): string {
  switch (ref.kind) {
    case 'input': {
      const input = known.inputs.get(ref.name);
      return input ? input.type : `${ref.text}: no input named "${ref.name}"`;
    }
    case 'output': {
      const outs = known.outputs.get(ref.step);
      const inner = known.hidden.get(ref.step);
      if (!outs && inner !== undefined)
        return `${ref.text}: step "${ref.step}" is ${inner}: read the use's declared outputs instead (give the use an id: \${steps.USE_ID.outputs.NAME})`;
      if (!outs) return `${ref.text}: no earlier step "${ref.step}" (a step can only use outputs of steps before it)`;
      const t = outs.get(ref.key)?.type;
      return t ?? `${ref.text}: step "${ref.step}" has no output "${ref.key}" (it has: ${[...outs.keys()].join(', ') || 'none'})`;
    }
    case 'run':
      return 'string';
    case 'item':
      return known.item ? ITEM_TYPE : `${ref.text}: \${item…} may only be used in a for-each step's inputs`;
    case 'all': {
      for (const part of ref.parts) {
        const t = refType(part, known);
        if (t !== 'boolean' && t !== ITEM_TYPE)
          return VALUE_TYPES.includes(t) ? `${part.text} is a ${t}, but ${ref.text} joins booleans` : t;
      }
      return 'boolean';
    }
  }
}

function checkRef(ref: Ref, whole: boolean, expected: ValueType, known: Known): string | undefined {
  const t = refType(ref, known);
  if (t === ITEM_TYPE) return undefined;
  if (!VALUE_TYPES.includes(t)) return t;
  if (whole && t !== expected) return `${ref.text} is a ${t}, but this parameter takes a ${expected}`;
  if (!whole && expected !== 'string') return `text with references is a string, but this parameter takes a ${expected}`;
  return undefined;
}

/** Checks a parameter value against its declared type; returns problems (empty when fine). */
export function checkValue(value: unknown, expected: ValueType, known: Known): string[] {
  if (typeof value === 'string' && value.includes('${')) {
    return refsOrErrors(value).flatMap((ref) => {
      if (ref instanceof RefSyntaxError) return [ref.message];
      const problem = checkRef(ref, isWholeRef(value), expected, known);
      return problem === undefined ? [] : [problem];
    });
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
    .filter((t) => t !== ITEM_TYPE && !VALUE_TYPES.includes(t));
}
