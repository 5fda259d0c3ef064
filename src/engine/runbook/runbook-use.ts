/**
 * The loader's `use` steps: another runbook's steps, inlined where the `use` stands.
 *
 *   - use: recover-instance                  # runbooks/<name>.yaml next to this one, or a relative path
 *     id: recover                            # later steps read its declared outputs: ${steps.recover.outputs.newGuid}
 *     when: ${steps.decide.outputs.swap}     # optional: its steps run only when this is true
 *     with:                                  # the used runbook's inputs (those with a default may be left out)
 *       archiveUrl: ${steps.find.outputs.archiveUrl}
 *
 * The used runbook is loaded and checked on its own first (its inputs as declared). Its steps then
 * become this runbook's steps, with their own ids: every `${inputs.X}` in their parameters, `when`,
 * `exclusive`, confirm blocks and for-each blocks becomes the value bound to X, and the use's `when` is
 * joined to each step's own. So a run, its journal and its resume see the same steps as if they were
 * written here. Later steps read only the used runbook's declared outputs, through the use's id: a
 * reference to one of its inner steps is refused; when the runbook loads, each reference to a use's
 * output is replaced by the step output it is declared `from`.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { OutputSpec } from './action.js';
import { checkValue, type Known } from './runbook-checks.js';
import { outputSpecs } from './runbook-outputs.js';
import { FOR_EACH_OUTPUTS, type ActionRegistry, type InputDef, type Runbook, type StepDef } from './runbook-model.js';
import { keyOf, plain, str, unknownKeys, type Problems } from './runbook-problems.js';
import { isWholeRef, parseRef, RefSyntaxError } from './template.js';

/** Loads a runbook named by a `use`: the runbook, or its problems as `FILE:LINE: message` lines. */
export type UseLoader = (ref: string) => Runbook | string[];

/** What earlier steps provide, as the step checks keep it. */
export interface Seen {
  known: Known;
  /** Each step id and where it is defined: `line N`, or `line N of FILE` for an inlined step. */
  ids: Map<string, string>;
  /** Earlier steps that have a confirm block. */
  confirmed: Set<string>;
  /** Each use id → its declared outputs → the step output each is taken from. */
  aliases: Map<string, ReadonlyMap<string, string>>;
}

export interface UseContext {
  problems: Problems;
  actions: ActionRegistry;
  loadUse: UseLoader;
  /** The runbooks used so far (their sha256 is part of this runbook's). */
  used: Runbook[];
}

const USE_KEYS = ['use', 'id', 'when', 'with'];
const INPUT_REF = /\$\{([^}]*)\}/g;

/** The steps a `use` step stands for, inlined and bound; problems go to `c.problems`. */
export function parseUse(item: YAMLMap, c: UseContext, seen: Seen): StepDef[] {
  const { problems } = c;
  const line = problems.lineOf(item);
  const ref = str(item, 'use');
  const where = `use ${JSON.stringify(ref ?? null)}`;
  unknownKeys(
    item,
    USE_KEYS,
    problems,
    line,
    (key) =>
      `${where}: unknown key "${key}" (a use step has only use, id, when and with: the used runbook's steps bring their titles and whys)`,
  );
  if (!ref) {
    problems.at(item, line, 'use must name the runbook whose steps go here (e.g. use: recover-instance)');
    return [];
  }
  const loaded = c.loadUse(ref);
  if (Array.isArray(loaded)) {
    // Its own problems keep their FILE:LINE; one that has none (unreadable, a cycle) is given this use's.
    const at = item.get('use', true) as Node;
    problems.at(at, line, `${where}: the runbook cannot be used:`);
    for (const l of loaded) {
      if (/^\S+:\d+: /.test(l)) problems.list.push(l);
      else problems.at(at, line, `${where}: ${l}`);
    }
    return [];
  }
  c.used.push(loaded);
  const id = parseUseId(item, c, seen, where);
  const when = parseUseWhen(item, c, seen.known, where);
  const bound = parseBindings(item, c, seen.known, loaded, where);
  const steps: StepDef[] = [];
  for (const s of loaded.steps) {
    const definedAt = `line ${s.line} of ${s.from?.file ?? loaded.file}`;
    const first = seen.ids.get(s.id);
    if (first !== undefined) problems.at(item, line, `${where}: step "${s.id}" (${definedAt}) is defined twice: first at ${first}`);
    else seen.ids.set(s.id, definedAt);
    const step = bindStep(s, bound, (m) => {
      problems.at(item, line, `${where}: step "${s.id}" of ${loaded.file}: ${m}`);
    });
    // Its outputs are the used runbook's business: later steps read the use's declared outputs.
    seen.known.hidden.set(s.id, `a step of runbook ${loaded.name}, used at line ${line}`);
    if (step.confirm) seen.confirmed.add(s.id);
    steps.push({ ...step, when: joinWhen(when, step.when), from: step.from ?? { name: loaded.name, file: loaded.file } });
  }
  if (id !== undefined) {
    seen.known.outputs.set(id, outputSpecs(loaded.outputs));
    seen.aliases.set(id, new Map(loaded.outputs.map((o) => [o.name, o.from])));
  }
  return steps;
}

function parseUseId(item: YAMLMap, c: UseContext, seen: Seen, where: string): string | undefined {
  if (!item.has('id')) return undefined;
  const line = c.problems.lineOf(item);
  const id = str(item, 'id');
  if (!id || !/^[a-z][a-z0-9-]*$/.test(id)) {
    c.problems.at(item.get('id', true), line, `${where}: id must be lower-case words joined by "-" (found ${JSON.stringify(id ?? null)})`);
    return undefined;
  }
  const first = seen.ids.get(id);
  if (first !== undefined) c.problems.at(item.get('id', true), line, `${where}: duplicate step id "${id}" (first at ${first})`);
  else seen.ids.set(id, `line ${line}`);
  return id;
}

function parseUseWhen(item: YAMLMap, c: UseContext, known: Known, where: string): string | undefined {
  const when = str(item, 'when');
  if (when === undefined) return undefined;
  const node = item.get('when', true) as Node;
  const line = c.problems.lineOf(item);
  if (!isWholeRef(when)) c.problems.at(node, line, `${where}: "when" must be a single reference to a boolean`);
  else for (const p of checkValue(when, 'boolean', known)) c.problems.at(node, line, `${where}: when: ${p}`);
  return when;
}

/** The use's condition and the step's own, both to hold (the use's read first). */
function joinWhen(outer: string | undefined, own: string | undefined): string | undefined {
  if (outer === undefined || own === undefined) return outer ?? own;
  return `\${${outer.slice(2, -1).trim()} && ${own.slice(2, -1).trim()}}`;
}

/** The outputs a step gives later steps. */
export function outputTypes(step: StepDef, actions: ActionRegistry): ReadonlyMap<string, OutputSpec> {
  return new Map(Object.entries(step.forEach ? FOR_EACH_OUTPUTS : (actions.get(step.action)?.outputs ?? {})));
}

/** The value of each input of the used runbook: what `with` binds, else its default. */
function parseBindings(item: YAMLMap, c: UseContext, known: Known, used: Runbook, where: string): Map<string, unknown> {
  const { problems } = c;
  const line = problems.lineOf(item);
  const withNode = item.get('with', true) as Node | undefined;
  const bound = new Map<string, unknown>();
  if (withNode !== undefined && !isMap(withNode)) {
    problems.at(withNode, line, `${where}: "with" must be a mapping of the used runbook's inputs`);
    return bound;
  }
  const declared = new Map(used.inputs.map((i) => [i.name, i]));
  for (const pair of withNode?.items ?? []) {
    const name = keyOf(pair.key);
    const valueNode = pair.value as Node | null;
    const input = declared.get(name);
    if (!input) {
      problems.at(
        pair.key as Node,
        line,
        `${where}: runbook ${used.file} has no input "${name}" (it has: ${[...declared.keys()].join(', ') || 'none'})`,
      );
      continue;
    }
    const value = plain(valueNode);
    bound.set(name, value);
    for (const p of [...checkValue(value, input.type, known), ...patternProblem(input, value)])
      problems.at(valueNode ?? (pair.key as Node), line, `${where}: with.${name}: ${p}`);
  }
  for (const input of used.inputs) {
    if (bound.has(input.name)) continue;
    if (input.default !== undefined) bound.set(input.name, input.default);
    else
      problems.at(
        withNode ?? item,
        line,
        `${where}: with must give "${input.name}" (${input.prompt}): runbook ${used.file} has no default for it`,
      );
  }
  return bound;
}

function patternProblem(input: InputDef, value: unknown): string[] {
  if (input.pattern === undefined || typeof value !== 'string' || value.includes('${')) return [];
  return new RegExp(input.pattern).test(value) ? [] : [`${JSON.stringify(value)} does not match the input's pattern ${input.pattern}`];
}

/** A used step with its `${inputs.X}` replaced by the bound values. */
function bindStep(s: StepDef, bound: Map<string, unknown>, problem: (message: string) => void): StepDef {
  const bind = (value: unknown): unknown => bindValue(value, bound, problem);
  const text = (value: string | undefined, what: string): string | undefined => {
    if (value === undefined) return undefined;
    const v = bind(value);
    if (typeof v === 'string') return v;
    problem(`its ${what} is ${value}, which must stay text or a reference: bind that input to text or a reference`);
    return value;
  };
  const fe = s.forEach;
  return {
    ...s,
    with: bind(s.with) as Record<string, unknown>,
    when: text(s.when, 'when'),
    exclusive: text(s.exclusive, 'exclusive'),
    confirm: s.confirm && {
      typed: text(s.confirm.typed, 'confirm.typed')!,
      message: text(s.confirm.message, 'confirm.message')!,
      alsoAccept: text(s.confirm.alsoAccept, 'confirm.alsoAccept'),
      typedInput: text(s.confirm.typedInput, 'confirm.typedInput'),
    },
    forEach: fe && { ...fe, items: text(fe.items, 'forEach.items')!, inputs: bind(fe.inputs) as Record<string, unknown> },
  };
}

function inputName(body: string): string | undefined {
  try {
    const ref = parseRef(body, `\${${body}}`);
    return ref.kind === 'input' ? ref.name : undefined;
  } catch (err) {
    if (err instanceof RefSyntaxError) return undefined;
    throw err;
  }
}

function bindValue(value: unknown, bound: Map<string, unknown>, problem: (message: string) => void): unknown {
  if (typeof value === 'string') {
    const whole = isWholeRef(value) ? inputName(value.slice(2, -1)) : undefined;
    if (whole !== undefined) return bound.has(whole) ? bound.get(whole) : value;
    return value.replace(INPUT_REF, (m, body: string) => {
      const name = inputName(body);
      if (name === undefined || !bound.has(name)) return m;
      const v = bound.get(name);
      if (typeof v === 'string') return v;
      problem(`${m} is used inside text, but it is bound to ${JSON.stringify(v)}: bind it to text or a reference`);
      return m;
    });
  }
  if (Array.isArray(value)) return value.map((v) => bindValue(v, bound, problem));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bindValue(v, bound, problem)]));
  return value;
}

/** A reference's body with each part naming a use's output replaced by the step output it is declared from. */
function aliasedBody(body: string, aliases: Seen['aliases']): string | undefined {
  const parts = body.split('&&').map((part) => part.trim());
  const through = parts.map((part) => {
    const m = /^steps\.([^.]+)\.outputs\.([^.]+)$/.exec(part);
    const from = m ? aliases.get(m[1]!)?.get(m[2]!) : undefined;
    return from === undefined ? part : from.slice(2, -1);
  });
  return through.some((p, i) => p !== parts[i]) ? through.join(' && ') : undefined;
}

/** A value with every reference to a use's output replaced by the step output it is declared from. */
export function throughUses<T>(value: T, aliases: Seen['aliases']): T {
  if (typeof value === 'string')
    return value.replace(INPUT_REF, (m, body: string) => {
      const b = aliasedBody(body, aliases);
      return b === undefined ? m : `\${${b}}`;
    }) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => throughUses(v, aliases)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, throughUses(v, aliases)])) as T;
  return value;
}

/** A step whose references to uses' outputs are replaced by the step outputs they are declared from. */
export function stepThroughUses(s: StepDef, aliases: Seen['aliases']): StepDef {
  if (!aliases.size) return s;
  const fe = s.forEach;
  return {
    ...s,
    with: throughUses(s.with, aliases),
    when: throughUses(s.when, aliases),
    exclusive: throughUses(s.exclusive, aliases),
    confirm: throughUses(s.confirm, aliases),
    forEach: fe && { ...fe, items: throughUses(fe.items, aliases), inputs: throughUses(fe.inputs, aliases) },
  };
}
