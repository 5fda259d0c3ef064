/**
 * What a runbook says it is about (`subject:`), checked when it loads: the instance (or, for a whole
 * space, spaceGuid) a run is about, each a single reference to a step output of its type.
 *
 *   subject:
 *     instanceGuid: ${steps.find.outputs.instanceGuid}
 *     archiveUrl: ${steps.find.outputs.archiveUrl}
 *     live: false                          # or a reference to a boolean
 */
import { isMap, type Node } from 'yaml';
import type { ValueType } from './action.js';
import { checkValue, type Known } from './runbook-checks.js';
import type { SubjectDef } from './runbook-model.js';
import { keyOf, plain, str, type Problems } from './runbook-problems.js';
import { isWholeRef } from './template.js';

const SUBJECT_KEYS = ['instanceGuid', 'archiveUrl', 'live', 'spaceGuid'];

export function parseSubject(node: Node | undefined, problems: Problems, known: Known): SubjectDef | undefined {
  if (node === undefined) return undefined;
  const line = problems.lineOf(node);
  if (!isMap(node)) {
    problems.at(node, line, 'subject must be a mapping with instanceGuid, archiveUrl and live (or spaceGuid)');
    return undefined;
  }
  if (!node.has('instanceGuid') && !node.has('spaceGuid')) {
    problems.at(node, line, 'subject must name the instance (instanceGuid) or the space (spaceGuid) a run is about');
    return undefined;
  }
  for (const pair of node.items) {
    const key = keyOf(pair.key);
    if (!SUBJECT_KEYS.includes(key))
      problems.at(pair.key as Node, line, `subject: unknown key "${key}" (expected ${SUBJECT_KEYS.join(', ')})`);
  }
  const ref = (key: string, type: ValueType, needed: boolean): string | undefined => {
    const value = str(node, key);
    const at = (node.get(key, true) as Node | undefined) ?? node;
    if (value === undefined || !isWholeRef(value)) {
      if (needed || node.has(key)) problems.at(at, line, `subject.${key} must be a single reference to a step output of type ${type}`);
      return undefined;
    }
    for (const p of checkValue(value, type, known)) problems.at(at, line, `subject.${key}: ${p}`);
    return value;
  };
  const instanceGuid = ref('instanceGuid', 'string', false);
  const spaceGuid = ref('spaceGuid', 'string', false);
  const archiveUrl = ref('archiveUrl', 'string', false);
  const liveValue = plain(node.get('live', true));
  const live = typeof liveValue === 'boolean' ? liveValue : node.has('live') ? ref('live', 'boolean', true) : false;
  return { instanceGuid, spaceGuid, archiveUrl, live: live ?? false };
}
