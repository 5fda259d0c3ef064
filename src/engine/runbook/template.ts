/**
 * References inside runbook parameters: `${inputs.NAME}`, `${steps.ID.outputs.KEY}`, `${run.id}`, and in a
 * for-each step's inputs `${item.FIELD}` (a field of the current item) or `${item}` (the item itself).
 * A parameter that is exactly one reference takes the referenced value with its type;
 * references inside longer text are turned into text.
 */
export type Ref =
  | { kind: 'input'; name: string; text: string }
  | { kind: 'output'; step: string; key: string; text: string }
  | { kind: 'run'; key: 'id' | 'mode'; text: string }
  /** The current item of a for-each step: one of its fields, or the whole item when `field` is undefined. */
  | { kind: 'item'; field?: string; text: string }
  /** `${A && B}`: true when every part is true, read in order and no further than the first that is not. */
  | { kind: 'all'; parts: Ref[]; text: string };

const REF = /\$\{([^}]*)\}/g;

export class RefSyntaxError extends Error {}

export function parseRef(body: string, text: string): Ref {
  if (body.includes('&&')) {
    const parts = body.split('&&').map((part) => parseRef(part, `\${${part.trim()}}`));
    return { kind: 'all', parts, text };
  }
  const parts = body.trim().split('.');
  if (parts[0] === 'inputs' && parts.length === 2 && parts[1]) return { kind: 'input', name: parts[1], text };
  if (parts[0] === 'steps' && parts.length === 4 && parts[2] === 'outputs' && parts[1] && parts[3]) {
    return { kind: 'output', step: parts[1], key: parts[3], text };
  }
  if (parts[0] === 'run' && parts.length === 2 && (parts[1] === 'id' || parts[1] === 'mode')) {
    return { kind: 'run', key: parts[1], text };
  }
  if (parts[0] === 'item' && parts.length <= 2 && parts[1] !== '') return { kind: 'item', field: parts[1], text };
  throw new RefSyntaxError(
    `bad reference ${text}: use \${inputs.NAME}, \${steps.STEP_ID.outputs.KEY}, \${run.id}, \${run.mode} or (in forEach.inputs) \${item.FIELD}`,
  );
}

/** Every reference in a string, each parsed or the error that makes it malformed. */
export function refsOrErrors(value: string): (Ref | RefSyntaxError)[] {
  return [...value.matchAll(REF)].map((m) => {
    try {
      return parseRef(m[1] ?? '', m[0]);
    } catch (err) {
      if (err instanceof RefSyntaxError) return err;
      throw err;
    }
  });
}

/** Every reference in a string (throws RefSyntaxError on a malformed one). */
function refsIn(value: string): Ref[] {
  return [...value.matchAll(REF)].map((m) => parseRef(m[1] ?? '', m[0]));
}

/** True when the whole string is a single reference (so the value keeps its type). */
export function isWholeRef(value: string): boolean {
  const m = value.match(/^\$\{([^}]*)\}$/);
  return m !== null;
}

/** The input a string names when it is exactly one `${inputs.NAME}` reference, else undefined. */
export function wholeInputRef(value: string): string | undefined {
  const body = /^\$\{([^}]*)\}$/.exec(value)?.[1];
  if (body === undefined) return undefined;
  try {
    const ref = parseRef(body, value);
    return ref.kind === 'input' ? ref.name : undefined;
  } catch (err) {
    if (err instanceof RefSyntaxError) return undefined;
    throw err;
  }
}

export interface Scope {
  inputs: Record<string, unknown>;
  outputs: Record<string, Record<string, unknown>>;
  run: { id: string; mode: string };
  /** The current item, inside a for-each step's inputs. */
  item?: unknown;
}

function lookup(ref: Ref, scope: Scope): unknown {
  switch (ref.kind) {
    case 'input':
      if (!(ref.name in scope.inputs)) throw new Error(`${ref.text}: input "${ref.name}" has no answer yet`);
      return scope.inputs[ref.name];
    case 'output': {
      const outs = scope.outputs[ref.step];
      if (!outs) throw new Error(`${ref.text}: step "${ref.step}" has not finished`);
      return outs[ref.key];
    }
    case 'run':
      return scope.run[ref.key];
    case 'item': {
      if (scope.item === undefined) throw new Error(`${ref.text}: there is no current item outside a for-each step`);
      if (ref.field === undefined) return scope.item;
      const item = scope.item;
      if (typeof item !== 'object' || item === null || Array.isArray(item) || !(ref.field in item))
        throw new Error(`${ref.text}: the item ${JSON.stringify(item)} has no field "${ref.field}"`);
      return (item as Record<string, unknown>)[ref.field];
    }
    case 'all':
      return ref.parts.every((part) => lookup(part, scope) === true);
  }
}

/** Resolve every reference inside a parameter value (strings, lists, objects). */
export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (isWholeRef(value)) return lookup(refsIn(value)[0]!, scope);
    return value.replace(REF, (_m, body: string) => {
      const v = lookup(parseRef(body, `\${${body}}`), scope);
      return v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, scope)]));
  }
  return value;
}
