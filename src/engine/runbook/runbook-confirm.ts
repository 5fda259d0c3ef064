/**
 * The loader's checks of a step's guards: its `confirm` block (what the operator types, required for a
 * destructive action, each text a valid reference) and its `when` (a single reference to a boolean).
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { ActionDef } from './action.js';
import { checkValue, type Known } from './runbook-checks.js';
import type { ConfirmDef } from './runbook-model.js';
import { str, type Problems } from './runbook-problems.js';
import { isWholeRef, wholeInputRef } from './template.js';

export function parseConfirm(
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

export function parseWhen(item: YAMLMap, problems: Problems, where: string, line: number, known: Known): string | undefined {
  const when = str(item, 'when');
  if (when === undefined) return undefined;
  const node = item.get('when', true) as Node;
  if (!isWholeRef(when)) problems.at(node, line, `${where}: "when" must be a single reference to a boolean`);
  else for (const p of checkValue(when, 'boolean', known)) problems.at(node, line, `${where}: when: ${p}`);
  return when;
}
