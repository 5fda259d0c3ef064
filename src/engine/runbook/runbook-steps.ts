/**
 * The loader's checks of a runbook's steps: ids, titles, the action and its parameters
 * (runbook-action.ts, or a for-each: runbook-foreach.ts), confirm and `when` (runbook-confirm.ts), `exclusive`.
 */
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { checkValue } from './runbook-checks.js';
import { parseChoices } from './runbook-choices.js';
import { parseAction } from './runbook-action.js';
import { parseConfirm, parseWhen } from './runbook-confirm.js';
import { parseForEach } from './runbook-foreach.js';
import type { SubRunbookLoader } from './runbook-foreach-sub.js';
import { type ActionRegistry, type InputDef, type Runbook, type StepDef } from './runbook-model.js';
import { str, unknownKeys, type Problems } from './runbook-problems.js';
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
