/**
 * The loader's checks of a for-each step: a sub-runbook run once per item of a list.
 *
 *   forEach:
 *     items: ${steps.plan.outputs.instances}   # a whole reference to an object[] or string[]
 *     key: name                                # the field naming each item (omitted for string[] items)
 *     concurrency: 2                           # items at once, 1..32 (default 1)
 *     runbook: recover-space-instance          # runbooks/<name>.yaml next to this one, or a relative path
 *     confirmedBy: confirm-space-plan          # optional: an earlier step with a confirm block
 *     inputs: { serviceName: ${item.name} }    # the sub-runbook's inputs
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import { refType, type Known } from './runbook-checks.js';
import { parseInputs, parseSubRunbook, type SubRunbookLoader } from './runbook-foreach-sub.js';
import type { ActionRegistry, ForEachDef } from './runbook-model.js';
import { keyOf, str, type Problems } from './runbook-problems.js';
import { isWholeRef, refsOrErrors, RefSyntaxError } from './template.js';

const MAX_CONCURRENCY = 32;
const FOR_EACH_KEYS = ['items', 'key', 'concurrency', 'runbook', 'confirmedBy', 'inputs'];

export interface ForEachContext {
  problems: Problems;
  actions: ActionRegistry;
  loadSub?: SubRunbookLoader;
  where: string;
  line: number;
  known: Known;
  /** Earlier steps with a confirm block. */
  confirmed: ReadonlySet<string>;
}

export function parseForEach(node: Node, c: ForEachContext): ForEachDef | undefined {
  const { problems, where, line } = c;
  if (!isMap(node)) {
    problems.at(node, line, `${where}: forEach must be a mapping with items, runbook and inputs`);
    return undefined;
  }
  for (const pair of node.items) {
    const key = keyOf(pair.key);
    if (!FOR_EACH_KEYS.includes(key))
      problems.at(pair.key as Node, line, `${where}: forEach has no key "${key}" (expected ${FOR_EACH_KEYS.join(', ')})`);
  }
  const items = parseItems(node, c);
  const key = str(node, 'key');
  if (items.type === 'object[]' && !key) problems.at(node, line, `${where}: forEach.key must name the field of each item that names it`);
  if (items.type === 'string[]' && node.has('key'))
    problems.at(node.get('key', true), line, `${where}: forEach.key is for object items; a string item is its own key`);
  const concurrency = parseConcurrency(node, c);
  checkConfirmedBy(node, c);
  const runbook = parseSubRunbook(node, c);
  const inputs = parseInputs(node, c, runbook);
  if (!runbook || items.ref === undefined) return undefined;
  return { items: items.ref, key, concurrency, runbook, confirmedBy: str(node, 'confirmedBy'), inputs };
}

function parseItems(node: YAMLMap, c: ForEachContext): { ref?: string; type?: string } {
  const ref = str(node, 'items');
  const at = (node.get('items', true) as Node | undefined) ?? node;
  const fail = (message: string): { ref?: string } => {
    c.problems.at(at, c.line, `${c.where}: forEach.items ${message}`);
    return {};
  };
  if (ref === undefined || !isWholeRef(ref))
    return fail('must be a single reference to an object[] or string[] (e.g. ${steps.ID.outputs.KEY})');
  const parsed = refsOrErrors(ref)[0]!;
  if (parsed instanceof RefSyntaxError) return fail(parsed.message);
  const type = refType(parsed, c.known);
  if (type !== 'object[]' && type !== 'string[]') {
    return fail(type.includes(' ') ? type : `${ref} is a ${type}, but items must be an object[] or string[]`);
  }
  return { ref, type };
}

function parseConcurrency(node: YAMLMap, c: ForEachContext): number {
  if (!node.has('concurrency')) return 1;
  const value: unknown = node.get('concurrency');
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CONCURRENCY) return value;
  c.problems.at(
    node.get('concurrency', true),
    c.line,
    `${c.where}: forEach.concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (found ${JSON.stringify(value)})`,
  );
  return 1;
}

function checkConfirmedBy(node: YAMLMap, c: ForEachContext): void {
  if (!node.has('confirmedBy')) return;
  const by = str(node, 'confirmedBy');
  const at = node.get('confirmedBy', true) as Node;
  if (by !== undefined && c.confirmed.has(by)) return;
  const earlier = by !== undefined && c.known.outputs.has(by);
  c.problems.at(
    at,
    c.line,
    earlier
      ? `${c.where}: forEach.confirmedBy: step "${by}" has no confirm block, so it confirms nothing`
      : `${c.where}: forEach.confirmedBy must name an earlier step with a confirm block (found ${JSON.stringify(by)})`,
  );
}
