/**
 * The loader's checks of a step's action: that it is known (else the actions of its family are named),
 * that one changing the platform can be resumed (a probe or safeToRepeat), and its `with` parameters:
 * each one the action takes, of its type, and none it needs left out.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { ActionDef } from './action.js';
import { checkValue, type Known } from './runbook-checks.js';
import type { ActionRegistry, StepDef } from './runbook-model.js';
import { keyOf, plain, str, type Problems } from './runbook-problems.js';

/** The step's action and its parameters (into `step`); the action when it is known. */
export function parseAction(
  item: YAMLMap,
  c: { problems: Problems; actions: ActionRegistry },
  where: string,
  line: number,
  known: Known,
  step: StepDef,
): ActionDef | undefined {
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
