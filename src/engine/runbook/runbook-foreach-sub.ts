/**
 * The loader's checks of a for-each's sub-runbook: that one is named and loads (a sub-runbook runs no
 * for-each of its own), and the inputs the step gives it: each one it declares, of its type (an item's
 * fields may be referred to), and every input without a default given.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import { checkValue, type Known } from './runbook-checks.js';
import type { Runbook } from './runbook-model.js';
import { keyOf, plain, str, type Problems } from './runbook-problems.js';

/** Loads a sub-runbook named by a for-each: the runbook, or its problems as `FILE:LINE: message` lines. */
export type SubRunbookLoader = (ref: string) => Runbook | string[];

/** The for-each step being checked: where it is, and what its references may name. */
interface ForEachAt {
  problems: Problems;
  loadSub?: SubRunbookLoader;
  where: string;
  line: number;
  known: Known;
}

export function parseSubRunbook(node: YAMLMap, c: ForEachAt): Runbook | undefined {
  const ref = str(node, 'runbook');
  const at = (node.get('runbook', true) as Node | undefined) ?? node;
  if (!c.loadSub) {
    c.problems.at(node, c.line, `${c.where}: a for-each inside a sub-runbook: nesting deeper than one level is refused`);
    return undefined;
  }
  if (!ref) {
    c.problems.at(at, c.line, `${c.where}: forEach.runbook must name the runbook each item runs`);
    return undefined;
  }
  const loaded = c.loadSub(ref);
  if (!Array.isArray(loaded)) return loaded;
  c.problems.at(at, c.line, `${c.where}: forEach.runbook ${JSON.stringify(ref)} cannot be used:`);
  c.problems.list.push(...loaded.map((l) => `  ${l}`));
  return undefined;
}

export function parseInputs(node: YAMLMap, c: ForEachAt, runbook: Runbook | undefined): Record<string, unknown> {
  const inputsNode = node.get('inputs', true) as Node | undefined;
  const out: Record<string, unknown> = {};
  if (inputsNode !== undefined && !isMap(inputsNode)) {
    c.problems.at(inputsNode, c.line, `${c.where}: forEach.inputs must be a mapping of the sub-runbook's inputs`);
    return out;
  }
  const declared = new Map(runbook?.inputs.map((i) => [i.name, i]) ?? []);
  const known: Known = { ...c.known, item: true };
  for (const pair of inputsNode?.items ?? []) {
    const name = keyOf(pair.key);
    const valueNode = pair.value as Node | null;
    out[name] = plain(valueNode);
    if (!runbook) continue;
    const input = declared.get(name);
    if (!input) {
      c.problems.at(
        pair.key as Node,
        c.line,
        `${c.where}: forEach.inputs: runbook ${runbook.name} has no input "${name}" (it has: ${[...declared.keys()].join(', ') || 'none'})`,
      );
      continue;
    }
    for (const p of checkValue(out[name], input.type, known))
      c.problems.at(valueNode ?? (pair.key as Node), c.line, `${c.where}: forEach.inputs.${name}: ${p}`);
  }
  for (const input of runbook?.inputs ?? []) {
    if (input.default === undefined && !(input.name in out))
      c.problems.at(
        inputsNode ?? node,
        c.line,
        `${c.where}: forEach.inputs must give "${input.name}" (${input.prompt}): runbook ${runbook?.name} has no default for it`,
      );
  }
  return out;
}
