/**
 * The loader's checks of a runbook's steps: ids, titles, the action and its parameters (or a
 * for-each, see runbook-foreach.ts), confirm blocks, `when` and `exclusive`.
 */
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import type { ActionDef } from './action.js';
import { checkValue, type Known } from './runbook-checks.js';
import { parseChoices } from './runbook-choices.js';
import { parseForEach, type SubRunbookLoader } from './runbook-foreach.js';
import { type ActionRegistry, type ConfirmDef, type InputDef, type Runbook, type StepDef } from './runbook-model.js';
import { keyOf, plain, str, unknownKeys, type Problems } from './runbook-problems.js';
import { isWholeRef, wholeInputRef } from './template.js';
import { outputTypes, parseUse, type Seen, type UseLoader } from './runbook-use.js';

const STEP_KEYS = ['id', 'title', 'why', 'action', 'with', 'forEach', 'confirm', 'choose', 'when', 'exclusive'];

/** What checking one runbook's steps needs. */
export interface StepsContext {
  problems: Problems;
  actions: ActionRegistry;
  /** Loads a for-each's sub-runbook; undefined when this runbook is itself a sub-runbook (no nesting). */
  loadSub?: SubRunbookLoader;
  /** Loads a runbook a `use` step inlines. */
  loadUse: UseLoader;
  /** The runbooks `use` steps inlined, filled in as they are. */
  used: Runbook[];
}

/** The steps, and what they give the runbook's outputs and subject to read. */
export function parseSteps(node: Node | undefined, c: StepsContext, inputs: InputDef[]): { steps: StepDef[]; seen: Seen } {
  const seen: Seen = {
    known: { inputs: new Map(inputs.map((i) => [i.name, i])), outputs: new Map(), hidden: new Map() },
    ids: new Map(),
    confirmed: new Set(),
    aliases: new Map(),
  };
  if (node === undefined || !isSeq(node) || node.items.length === 0) {
    c.problems.at(node, 1, 'steps must be a non-empty list');
    return { steps: [], seen };
  }
  const steps: StepDef[] = [];
  for (const item of node.items) {
    if (!isMap(item)) {
      c.problems.at(item as Node, 1, 'each step is a mapping with id, title, why, action and with');
      continue;
    }
    if (item.has('use')) {
      steps.push(...parseUse(item, c, seen));
      continue;
    }
    const step = parseStep(item, c, seen);
    if (step) steps.push(step);
  }
  return { steps, seen };
}

function parseStep(item: YAMLMap, c: StepsContext, seen: Seen): StepDef | undefined {
  const { problems } = c;
  const line = problems.lineOf(item);
  const id = str(item, 'id');
  if (!id || !/^[a-z][a-z0-9-]*$/.test(id)) {
    problems.at(item, line, `step id must be lower-case words joined by "-" (found ${JSON.stringify(id)})`);
    return undefined;
  }
  const where = `step "${id}"`;
  if (seen.ids.has(id)) problems.at(item.get('id', true), line, `duplicate step id "${id}" (first at ${seen.ids.get(id)})`);
  else seen.ids.set(id, `line ${line}`);
  unknownKeys(item, STEP_KEYS, problems, line, (key) => `${where}: unknown key "${key}" (expected ${STEP_KEYS.join(', ')})`);
  const title = str(item, 'title');
  const why = str(item, 'why');
  if (!title) problems.at(item, line, `${where} needs a title`);
  if (!why) problems.at(item, line, `${where} needs a "why": the operator-facing explanation`);
  const step: StepDef = { id, title: title ?? id, why: why ?? '', action: '', with: {}, line };
  if (item.has('forEach')) {
    if (item.has('action') || item.has('with'))
      problems.at(item, line, `${where}: a step has either forEach or action (with its "with"), not both`);
    if (item.has('choose'))
      problems.at(item.get('choose', true), line, `${where}: choose belongs to the sub-runbook's steps, whose actions ask the choices`);
    step.forEach = parseForEach(item.get('forEach', true) as Node, { ...c, where, line, known: seen.known, confirmed: seen.confirmed });
    seen.known.outputs.set(id, outputTypes(step, c.actions));
  } else {
    const action = parseAction(item, c, where, line, seen.known, step);
    if (action) seen.known.outputs.set(id, outputTypes(step, c.actions));
    step.confirm = parseConfirm(item, problems, where, line, seen.known, step.title, action);
    const choose = parseChoices(item, problems, where, line, action);
    if (choose) step.choose = choose;
  }
  if (step.confirm) seen.confirmed.add(id);
  step.when = parseWhen(item, problems, where, line, seen.known);
  step.exclusive = str(item, 'exclusive');
  if (item.has('exclusive') && step.exclusive === undefined)
    problems.at(item.get('exclusive', true), line, `${where}: exclusive must be text`);
  for (const p of step.exclusive === undefined ? [] : checkValue(step.exclusive, 'string', seen.known))
    problems.at(item.get('exclusive', true), line, `${where}: exclusive: ${p}`);
  return step;
}

/** The step's action and its parameters (into `step`); the action when it is known. */
function parseAction(item: YAMLMap, c: StepsContext, where: string, line: number, known: Known, step: StepDef): ActionDef | undefined {
  const { problems, actions } = c;
  const actionName = str(item, 'action');
  step.action = actionName ?? '';
  const action = actionName ? actions.get(actionName) : undefined;
  if (!action) {
    const near = actionName ? [...actions.keys()].filter((a) => a.split('.')[0] === actionName.split('.')[0]) : [];
    problems.at(
      item.get('action', true),
      line,
      `${where}: unknown action ${JSON.stringify(actionName)}${near.length ? ` (did you mean one of: ${near.join(', ')}?)` : ''}`,
    );
    return undefined;
  }
  if (action.effect !== 'read' && !action.probe && !action.safeToRepeat?.trim()) {
    problems.at(
      item,
      line,
      `${where}: action ${action.name} changes the platform (effect ${action.effect}) but declares neither a probe nor safeToRepeat, so a resume could not tell whether an interrupted attempt already acted`,
    );
  }
  const withNode = item.get('with', true) as Node | undefined;
  if (withNode !== undefined && !isMap(withNode)) {
    problems.at(withNode, line, `${where}: "with" must be a mapping of parameters`);
    return action;
  }
  const given = new Set<string>();
  for (const pair of withNode ? withNode.items : []) {
    const key = keyOf(pair.key);
    given.add(key);
    const valueNode = pair.value as Node | null;
    const value = plain(valueNode);
    step.with[key] = value;
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
  return action;
}

function parseConfirm(
  item: YAMLMap,
  problems: Problems,
  where: string,
  line: number,
  known: Known,
  title: string,
  action: ActionDef | undefined,
): ConfirmDef | undefined {
  const confirmNode = item.get('confirm', true) as Node | undefined;
  if (confirmNode === undefined) {
    if (action?.effect === 'destructive')
      problems.at(item, line, `${where}: action ${action.name} is destructive and needs a "confirm" block`);
    return undefined;
  }
  const typed = isMap(confirmNode) ? str(confirmNode, 'typed') : undefined;
  if (!isMap(confirmNode) || !typed) {
    problems.at(confirmNode, line, `${where}: confirm needs "typed" (what the operator must type) and "message"`);
    return undefined;
  }
  const confirm = {
    typed,
    message: str(confirmNode, 'message') ?? title,
    alsoAccept: str(confirmNode, 'alsoAccept'),
    typedInput: str(confirmNode, 'typedInput'),
  };
  for (const p of checkValue(confirm.typed, 'string', known)) problems.at(confirmNode, line, `${where}: confirm.typed: ${p}`);
  if (confirm.alsoAccept !== undefined)
    for (const p of checkValue(confirm.alsoAccept, 'string', known)) problems.at(confirmNode, line, `${where}: confirm.alsoAccept: ${p}`);
  if (confirm.typedInput !== undefined) {
    if (wholeInputRef(confirm.typedInput) === undefined)
      problems.at(confirmNode, line, `${where}: confirm.typedInput must be a single reference to an input (\${inputs.NAME})`);
    else
      for (const p of checkValue(confirm.typedInput, 'string', known)) problems.at(confirmNode, line, `${where}: confirm.typedInput: ${p}`);
  }
  return confirm;
}

function parseWhen(item: YAMLMap, problems: Problems, where: string, line: number, known: Known): string | undefined {
  const when = str(item, 'when');
  if (when === undefined) return undefined;
  const node = item.get('when', true) as Node;
  if (!isWholeRef(when)) problems.at(node, line, `${where}: "when" must be a single reference to a boolean`);
  else for (const p of checkValue(when, 'boolean', known)) problems.at(node, line, `${where}: when: ${p}`);
  return when;
}
