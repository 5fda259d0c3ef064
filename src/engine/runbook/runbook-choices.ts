/**
 * A step's `choose:` block, beside `confirm:`: each choice its action asks the operator, with where the
 * candidates come from and what the operator does to decide it.
 *
 *   choose:
 *     deletedInstance:
 *       candidates: the deleted instances the logs and the broker's records name, listed above the question
 *       hint: ask the user which one held their data (its name, when they created it)
 *
 * Checked when the runbook loads: a key the action does not ask is refused (with the nearest it does),
 * and so is a choice the action asks that the step leaves undeclared, so the runbook shows every
 * question a run may stop at.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { ActionDef } from './action.js';
import { didYouMean } from './did-you-mean.js';
import type { ChoiceDef } from './runbook-model.js';
import { keyOf, str, unknownKeys, type Problems } from './runbook-problems.js';

const CHOICE_KEYS = ['candidates', 'hint'];

/** The step's declared choices, checked against those its action asks. */
export function parseChoices(
  item: YAMLMap,
  problems: Problems,
  where: string,
  line: number,
  action: ActionDef | undefined,
): ChoiceDef[] | undefined {
  const node = item.get('choose', true) as Node | undefined;
  const asked = action?.chooses ?? {};
  const declared = node === undefined ? [] : parseBlock(node, problems, where, line, action);
  for (const [key, spec] of Object.entries(asked)) {
    if (declared.some((c) => c.key === key)) continue;
    problems.at(
      item,
      line,
      `${where}: action ${action!.name} asks the operator to choose "${key}" (${spec.description}): declare it under choose: with its candidates and hint`,
    );
  }
  return declared.length ? declared.map((c) => ({ ...c, ...(asked[c.key]?.values ? { values: asked[c.key]!.values } : {}) })) : undefined;
}

function parseBlock(node: Node, problems: Problems, where: string, line: number, action: ActionDef | undefined): ChoiceDef[] {
  if (!isMap(node)) {
    problems.at(node, line, `${where}: choose must be a mapping of choices, each with candidates and hint`);
    return [];
  }
  if (!action) return [];
  const asked = Object.keys(action.chooses ?? {});
  const out: ChoiceDef[] = [];
  for (const pair of node.items) {
    const key = keyOf(pair.key);
    if (!asked.includes(key)) {
      problems.at(
        pair.key as Node,
        line,
        `${where}: choose.${key}: action ${action.name} asks no choice "${key}"${didYouMean(key, asked)} (it asks: ${asked.join(', ') || 'none'})`,
      );
      continue;
    }
    const value = pair.value as Node | null;
    const at = problems.lineOf(value ?? (pair.key as Node), line);
    if (!isMap(value)) {
      problems.at(value ?? (pair.key as Node), line, `${where}: choose.${key} must be a mapping with candidates and hint`);
      continue;
    }
    unknownKeys(value, CHOICE_KEYS, problems, at, (k) => `${where}: choose.${key}: unknown key "${k}" (expected candidates, hint)`);
    const candidates = str(value, 'candidates');
    const hint = str(value, 'hint');
    if (!candidates?.trim())
      problems.at(value, at, `${where}: choose.${key} needs "candidates": where the values to choose among come from`);
    if (!hint?.trim()) problems.at(value, at, `${where}: choose.${key} needs "hint": what the operator does to decide it`);
    out.push({ key, candidates: candidates ?? '', hint: hint ?? '', line: at });
  }
  return out;
}
